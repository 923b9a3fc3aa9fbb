// Grapheme-to-phoneme for one piece of English text, organised as misaki organises it
// (misaki/en.py read for the behaviour): tokens -> sub-tokens grouped by missing whitespace
// -> right-to-left lexicon lookups with a "next sound is a vowel" context -> espeak-ng for
// what no lexicon knows -> stress balancing inside compounds.
import { Lexicon, type WordContext } from './lexicon.js';
import { appendCurrency, CURRENCIES, isNumber, readNumber } from './numbers.js';
import { pretokenize, subtokenize } from './pretokenize.js';
import { applyStress, CONSONANTS, PRIMARY, stressWeight, VOWELS } from './stress.js';
import { quickTag, tagSentence } from './tagger.js';
import { espeakWord } from './espeak.js';

interface Tok {
  text: string; tag: string; ws: string; phonemes: string | null;
  isHead: boolean; currency: string | null; alias: string | null; prespace: boolean;
}

const MAX_SPAN = 16;
const MAX_FALLBACK_CHARS = 50;
const PUNCTS = new Set(';:,.!?—…"“”');
const NON_QUOTE_PUNCTS = new Set(';:,.!?—…');
const SUBTOKEN_JUNKS = new Set("',-._‘’/");
const PUNCT_TAGS = new Set(['.', ',', '-LRB-', '-RRB-', '``', '""', "''", ':', '$', '#', 'NFP']);
const PUNCT_TAG_PHONEMES: Record<string, string> = { '-LRB-': '(', '-RRB-': ')', '``': '“', '""': '”', "''": '”' };
const isJunk = (t: string): boolean => [...t].every((c) => SUBTOKEN_JUNKS.has(c));
const isAsciiLetters = (t: string): boolean => /^[A-Za-z]*$/.test(t);

function mergeText(tks: Tok[]): string {
  return tks.map((t, i) => t.text + (i < tks.length - 1 ? t.ws : '')).join('');
}

/** The tag of the "heaviest" token (capitals count double), as misaki picks for a merge. */
function mergeTag(tks: Tok[]): string {
  let best = tks[0];
  let bestW = -1;
  for (const t of tks) {
    let w = 0;
    for (const c of t.text) w += c === c.toLowerCase() ? 1 : 2;
    if (w > bestW) { best = t; bestW = w; }
  }
  return best.tag;
}

function mergeCurrency(tks: Tok[]): string | null {
  const cs = tks.map((t) => t.currency).filter((c): c is string => c !== null).sort();
  return cs.length ? cs[cs.length - 1] : null;
}

/** Whether the next sound (to the right) starts with a vowel; null at a clause break. */
function nextContext(ctx: WordContext, ps: string | null, tk: { text: string; tag: string }): WordContext {
  let vowel = ctx.futureVowel;
  if (ps) {
    for (const c of ps) {
      if (VOWELS.has(c) || CONSONANTS.has(c) || NON_QUOTE_PUNCTS.has(c)) {
        vowel = NON_QUOTE_PUNCTS.has(c) ? null : VOWELS.has(c);
        break;
      }
    }
  }
  const futureTo = tk.text === 'to' || tk.text === 'To' || (tk.text === 'TO' && (tk.tag === 'TO' || tk.tag === 'IN'));
  return { futureVowel: vowel, futureTo };
}

const PRONOUNS = new Set(['i', 'you', 'he', 'she', 'it', 'we', 'they']);

/** Corrections where the tagger's choice disagrees with how spaCy (misaki's tagger) reads. */
function fixTags(tokens: Tok[]): void {
  const words = tokens.filter((t) => !PUNCT_TAGS.has(t.tag));
  words.forEach((t, i) => {
    const next = tokens[tokens.indexOf(t) + 1];
    const nextWord = words[i + 1];
    const lowerText = t.text.toLowerCase();
    if (i === 0 && (t.tag === 'VB' || t.tag === 'VBP') && nextWord === next && nextWord && /^(NNS|VBZ)$/.test(nextWord.tag)) {
      // "House prices rose": a sentence-initial "imperative" right before a plural is a noun modifier.
      t.tag = 'NN';
    } else if (lowerText === 'in') {
      // "in" before another preposition ("flew in from") is an adverb particle and keeps its stress.
      t.tag = nextWord && nextWord === next && nextWord.tag === 'IN' ? 'RB' : 'IN';
    } else if (lowerText === 'that') {
      // Unstressed as a conjunction ("that she", "that the soup") or relative ("the tool that works");
      // otherwise a stressed demonstrative ("that cake", "that is", "hear that?").
      const n = nextWord === next ? nextWord : undefined;
      const prev = words[i - 1];
      const conj = n && (n.tag === 'DT' || PRONOUNS.has(n.text.toLowerCase()));
      const relative = n && /^(VB|MD)/.test(n.tag) && prev && /^NN/.test(prev.tag) && tokens[tokens.indexOf(t) - 1] === prev;
      t.tag = conj || relative ? 'IN' : 'DT';
    } else if (t.text === 'A') {
      const prev = words[i - 1]?.text.toLowerCase();
      if (prev === 'an' || prev === 'a' || prev === 'the' || !next || PUNCT_TAGS.has(next.tag)) t.tag = 'NN';
    }
  });
}

/** A word and the [start, end) offsets of its phonemes in phonemizeWords()'s string. */
export interface G2PWord { text: string; start: number; end: number }

export class G2P {
  private readonly heteronyms: Set<string>;
  constructor(readonly lexicon: Lexicon) {
    this.heteronyms = lexicon.golds.tagDependentKeys();
  }
  private get british(): boolean { return this.lexicon.british; }

  /** Does any word of this text read differently depending on its part of speech? */
  private needsTagger(raw: Array<{ text: string }>): boolean {
    for (const { text } of raw) {
      if (text.length > 1 && text === text.toUpperCase() && /[A-Z]/.test(text)) return true;
      const lw = text.toLowerCase();
      // The word itself or the stem it is derived from (-s, -es, -ed, -d, -ing) may be a heteronym.
      const stems = [text, lw, lw.replace(/(?:es|s|ed|d|ing)$/, ''), lw.replace(/ing$/, 'e'), lw.replace(/(?:s|d)$/, '')];
      for (const w of stems) if (this.heteronyms.has(w)) return true;
      if (/^(used|by|am)$/i.test(text)) return true;
    }
    return false;
  }

  private lexiconWord(tk: Tok, ctx: WordContext): [string, number] | [null, null] {
    try {
      return this.lexiconWordUnsafe(tk, ctx);
    } catch {
      // A rule tripping on odd input must not fail the request: espeak-ng reads the word instead.
      return [null, null];
    }
  }

  private lexiconWordUnsafe(tk: Tok, ctx: WordContext): [string, number] | [null, null] {
    let word = (tk.alias ?? tk.text).replaceAll('‘', "'").replaceAll('’', "'").normalize('NFKC');
    const stress = word === word.toLowerCase() ? null : this.lexicon.capStresses[word === word.toUpperCase() ? 1 : 0];
    const found = this.lexicon.getWord(word, tk.tag, stress, ctx);
    if (found[0] !== null) return [appendCurrency(this.lexicon, found[0], tk.currency), found[1]];
    if (isNumber(word, tk.isHead)) return readNumber(this.lexicon, word, tk.currency, tk.isHead, '');
    return [null, null];
  }

  /** espeak-ng for text no lexicon rule could read. Runs of junk longer than any word are
   * dropped (espeak takes milliseconds per character on them). */
  private async fallback(text: string): Promise<string> {
    if ([...text].length > MAX_FALLBACK_CHARS) return '';
    return espeakWord(text, this.british);
  }

  async phonemize(text: string): Promise<string> {
    return (await this.phonemizeWords(text)).phonemes;
  }

  /**
   * phonemize(), also saying which phonemes each word (a whitespace-free group of tokens, its
   * text as written) became: [start, end) offsets into `phonemes`. Punctuation tokens are words
   * of their own here; the caller decides what to attach them to.
   */
  async phonemizeWords(text: string): Promise<{ phonemes: string; words: G2PWord[] }> {
    const raw = pretokenize(text.trimStart(), (w) => this.lexicon.golds.has(w));
    if (!raw.length) return { phonemes: '', words: [] };
    const tagAt = this.needsTagger(raw) ? tagSentence(text.trimStart()) : null;
    const tokens: Tok[] = raw.map((r) => ({
      text: r.text, ws: r.ws, phonemes: null, isHead: true, currency: null, alias: null, prespace: false,
      tag: r.punctTag ?? tagAt?.get(r.start) ?? quickTag(r.text),
    }));
    fixTags(tokens);
    const words = this.retokenize(tokens);
    let ctx: WordContext = { futureVowel: null, futureTo: false };
    for (let i = words.length - 1; i >= 0; i--) {
      const w = words[i];
      if (!Array.isArray(w)) {
        if (w.phonemes === null) w.phonemes = this.lexiconWord(w, ctx)[0];
        if (w.phonemes === null) w.phonemes = await this.fallback(w.text);
        ctx = nextContext(ctx, w.phonemes, w);
        continue;
      }
      ctx = await this.resolveGroup(w, ctx);
    }
    let out = '';
    const spans: G2PWord[] = [];
    for (const w of words) {
      const tks = Array.isArray(w) ? w : [w];
      let ps = '';
      for (const tk of tks) {
        if (tk.prespace && ps && !/\s$/.test(ps) && tk.phonemes) ps += ' ';
        ps += tk.phonemes ?? '';
      }
      spans.push({ text: mergeText(tks), start: out.length, end: out.length + ps.length });
      out += ps + tks[tks.length - 1].ws;
    }
    // The replacements keep the length (one UTF-16 unit for another); trim shifts the offsets.
    const replaced = out.replaceAll('ɾ', 'T').replaceAll('ʔ', 't');
    const phonemes = replaced.trim();
    const lead = replaced.length - replaced.trimStart().length;
    const clamp = (x: number) => Math.min(phonemes.length, Math.max(0, x - lead));
    return { phonemes, words: spans.map((w) => ({ text: w.text, start: clamp(w.start), end: clamp(w.end) })) };
  }

  /** Splits tokens into sub-tokens and groups those not separated by whitespace. */
  private retokenize(tokens: Tok[]): Array<Tok | Tok[]> {
    const words: Array<Tok | Tok[]> = [];
    let currency: string | null = null;
    tokens.forEach((token, i) => {
      const parts = token.phonemes === null ? subtokenize(token.text) : [token.text];
      if (!parts.length) parts.push(token.text);
      const tks: Tok[] = parts.map((p) => ({ ...token, text: p, ws: '', isHead: true }));
      tks[tks.length - 1].ws = token.ws;
      tks.forEach((tk, j) => {
        if (tk.tag === '$' && tk.text in CURRENCIES) {
          currency = tk.text;
          tk.phonemes = '';
        } else if (tk.tag === ':' && (tk.text === '-' || tk.text === '–' || tk.text === '—' || tk.text === '--')) {
          tk.phonemes = '—';
        } else if (PUNCT_TAGS.has(tk.tag) && !isAsciiLetters(tk.text)) {
          tk.phonemes = PUNCT_TAG_PHONEMES[tk.tag] ?? [...tk.text].filter((c) => PUNCTS.has(c)).join('');
        } else if (currency !== null) {
          if (tk.tag !== 'CD') currency = null;
          else if (j + 1 === tks.length && (i + 1 === tokens.length || tokens[i + 1].tag !== 'CD')) tk.currency = currency;
        } else if (j > 0 && j < tks.length - 1 && tk.text === '2' && /\p{L}$/u.test(tks[j - 1].text) && /^\p{L}/u.test(tks[j + 1].text)) {
          tk.alias = 'to';
        }
        const last = words[words.length - 1];
        if (tk.alias !== null || tk.phonemes !== null) words.push(tk);
        else if (Array.isArray(last) && last[last.length - 1].ws === '') {
          tk.isHead = false;
          last.push(tk);
        } else words.push(tk.ws ? tk : [tk]);
      });
    });
    return words.map((w) => (Array.isArray(w) && w.length === 1 ? w[0] : w));
  }

  /** Longest-match lookups inside a whitespace-free group, right to left. */
  private async resolveGroup(w: Tok[], ctx: WordContext): Promise<WordContext> {
    let left = 0;
    let right = w.length;
    let shouldFallback = false;
    while (left < right) {
      if (right - left > MAX_SPAN) left = right - MAX_SPAN; // longer spans can never match
      const span = w.slice(left, right);
      // No lexicon entry spans more than a handful of sub-tokens; skipping longer spans keeps
      // pathological input (thousands of camelCase pieces) from costing quadratic lookups.
      const blocked = span.some((t) => t.alias !== null || t.phonemes !== null);
      let ps: string | null = null;
      let merged: Tok | null = null;
      if (!blocked) {
        merged = { ...span[0], text: mergeText(span), tag: mergeTag(span), ws: span[span.length - 1].ws,
          currency: mergeCurrency(span), alias: null, isHead: span[0].isHead };
        ps = this.lexiconWord(merged, ctx)[0];
      }
      if (ps !== null && merged) {
        w[left].phonemes = ps;
        for (const x of w.slice(left + 1, right)) x.phonemes = '';
        ctx = nextContext(ctx, ps, merged);
        right = left;
        left = 0;
      } else if (left + 1 < right) {
        left++;
      } else {
        right--;
        const tk = w[right];
        if (tk.phonemes === null) {
          if (isJunk(tk.text)) tk.phonemes = '';
          else { shouldFallback = true; break; }
        }
        left = 0;
      }
    }
    if (shouldFallback && [...mergeText(w)].length > MAX_FALLBACK_CHARS) {
      // Too long to be one word (a long URL path, glued text): read the unknown pieces one by one.
      for (const tk of w) if (tk.phonemes === null) tk.phonemes = isJunk(tk.text) ? '' : await this.fallback(tk.text);
      this.resolveStress(w);
      return ctx;
    }
    if (shouldFallback) {
      const text = mergeText(w);
      w[0].phonemes = await this.fallback(text);
      for (const x of w.slice(1)) x.phonemes = '';
      // misaki keeps the context from the last successful lookup here.
      return ctx;
    }
    this.resolveStress(w);
    return ctx;
  }

  /** Inside a compound, demote the weaker primary stresses (misaki's resolve_tokens). */
  private resolveStress(tokens: Tok[]): void {
    const text = mergeText(tokens);
    const classes = new Set<number>();
    for (const c of text) {
      if (SUBTOKEN_JUNKS.has(c)) continue;
      classes.add(/\p{L}/u.test(c) ? 0 : /[0-9]/.test(c) ? 1 : 2);
    }
    const prespace = text.includes(' ') || text.includes('/') || classes.size > 1;
    tokens.forEach((tk, i) => {
      if (tk.phonemes === null) {
        if (i === tokens.length - 1 && NON_QUOTE_PUNCTS.has(tk.text)) tk.phonemes = tk.text;
        else if (isJunk(tk.text)) tk.phonemes = '';
      } else if (i > 0) {
        tk.prespace = prespace;
      }
    });
    if (prespace) return;
    const idx = tokens.map((tk, i) => [tk.phonemes?.includes(PRIMARY) ? 1 : 0, stressWeight(tk.phonemes ?? ''), i] as [number, number, number])
      .filter(([, , i]) => tokens[i].phonemes);
    if (idx.length === 2 && [...tokens[idx[0][2]].text].length === 1) {
      const i = idx[1][2];
      tokens[i].phonemes = applyStress(tokens[i].phonemes!, -0.5);
      return;
    }
    if (idx.length < 2 || idx.reduce((s, [b]) => s + b, 0) <= Math.floor((idx.length + 1) / 2)) return;
    idx.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    for (const [, , i] of idx.slice(0, Math.floor(idx.length / 2))) tokens[i].phonemes = applyStress(tokens[i].phonemes!, -0.5);
  }
}

