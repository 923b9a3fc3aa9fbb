// Part-of-speech tags (Penn-style, as misaki's lexicon keys expect) from compromise (MIT).
// Tags only change pronunciation for heteronyms, all-caps words and a few function words,
// so sentences without such words are never tagged (the tagger is the slowest step).
import nlp from 'compromise/two';

interface TermJson { text: string; offset: { start: number; length: number }; tags: string[] }

function toPenn(tags: Set<string>, text: string): string {
  const lowerText = text.toLowerCase();
  if (lowerText === 'to') return 'TO';
  if (tags.has('Determiner')) return 'DT';
  if (tags.has('Preposition')) return 'IN';
  if (tags.has('Pronoun')) return tags.has('Possessive') ? 'PRP$' : 'PRP';
  if (tags.has('Value') || tags.has('Cardinal') || tags.has('NumericValue')) return 'CD';
  if (tags.has('Verb') || tags.has('Auxiliary')) {
    if (tags.has('Modal')) return 'MD';
    if (tags.has('PastTense')) return 'VBD';
    if (tags.has('Participle')) return 'VBN';
    if (tags.has('Gerund')) return 'VBG';
    if (tags.has('Infinitive') && !tags.has('PresentTense')) return 'VB';
    if (tags.has('PresentTense')) return lowerText.endsWith('s') ? 'VBZ' : 'VBP';
    return 'VB';
  }
  if (tags.has('Adjective')) return tags.has('Comparable') && /er$/.test(lowerText) ? 'JJR' : 'JJ';
  if (tags.has('Adverb')) return 'RB';
  if (tags.has('Conjunction')) return 'CC';
  if (tags.has('ProperNoun') && text !== lowerText) return 'NNP';
  if (tags.has('Noun') || tags.has('Date')) return tags.has('Plural') ? 'NNS' : 'NN';
  if (tags.has('Expression')) return 'UH';
  return 'NN';
}

/** Returns a Penn tag for each character offset where a compromise term starts. */
export function tagSentence(text: string): Map<number, string> {
  const out = new Map<number, string>();
  const docs = nlp(text).json({ offset: true, terms: { offset: true } }) as Array<{ terms: TermJson[] }>;
  for (const sentence of docs) {
    for (const term of sentence.terms) {
      if (!term.offset || term.offset.length === 0) continue;
      if (!out.has(term.offset.start)) out.set(term.offset.start, toPenn(new Set(term.tags), term.text));
    }
  }
  return out;
}

const NUMBER_WORDS = new Set(['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
  'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty',
  'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety', 'hundred', 'thousand', 'million', 'billion', 'trillion', 'dozen']);
const DETERMINERS = new Set(['a', 'an', 'the', 'this', 'that', 'these', 'those', 'every', 'each', 'some', 'any', 'no']);
const PREPOSITIONS = new Set(['in', 'of', 'on', 'at', 'for', 'with', 'from', 'by', 'about', 'into', 'over', 'under',
  'after', 'before', 'between', 'through', 'during', 'without', 'within', 'across', 'against', 'among', 'as']);

/** Cheap tag for sentences the full tagger skips: closed-class words and numbers only. */
export function quickTag(word: string): string {
  const w = word.toLowerCase();
  if (/\d/.test(w) || NUMBER_WORDS.has(w)) return 'CD';
  if (w === 'to') return 'TO';
  if (DETERMINERS.has(w)) return 'DT';
  if (PREPOSITIONS.has(w)) return 'IN';
  if (word === 'I') return 'PRP';
  return 'NN';
}
