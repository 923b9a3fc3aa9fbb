// Japanese G2P as misaki 0.9.4's JAG2P() (version='cutlet', what Kokoro v1.0's KPipeline runs
// for lang_code 'j'): tag the text, read every word's pronunciation as kana, map the kana to
// Kokoro's phonemes word by word, keep punctuation, drop what cannot be read. misaki tags with
// fugashi (MeCab) on UniDic; we tag with kuromoji on IPADIC (dict.ts) and bring IPADIC's
// readings closer to UniDic's (readings.ts). engine/text/lang/README.md lists what still differs.
import { jaTokenizer, type JaToken } from './dict.js';
import { hiraToPhonemes, kataToHira, symbolsToPhonemes } from './kana.js';
import { misakiPrepare } from './normalize.js';
import { COUNTERS, lengthen, numberWords, OVERRIDES, OVERRIDE_MAX_TOKENS } from './readings.js';

/** MeCab character classes misaki looks at: 6 (readable as kana), 3 (symbol), others dropped. */
const KANA_CLASS = 6;
const SYMBOL_CLASS = 3;

interface Word { surface: string; hira: string; cls: number; pos: string; number?: boolean }

/** The class MeCab's char.def gives the first character of an unknown word. */
function charClass(s: string): number {
  const c = s[0] ?? '';
  if (/[\p{Script=Hiragana}\p{Script=Katakana}ー]/u.test(c)) return KANA_CLASS; // misaki reads unknown katakana as kana too
  if (/\p{Script=Han}/u.test(c)) return 2;
  if (/[A-Za-z]/.test(c)) return 5;
  if (/\d/.test(c)) return 4;
  if (/\p{Script=Greek}/u.test(c)) return 9;
  if (/\p{Script=Cyrillic}/u.test(c)) return 10;
  return SYMBOL_CLASS;
}

const reading = (v: string | undefined): string | undefined => (v && v !== '*' ? v : undefined);

/** Tokens of one piece of ordinary text -> words, with UniDic-like readings. */
function toWords(tokens: JaToken[]): Word[] {
  const words: Word[] = [];
  for (let i = 0; i < tokens.length; i++) {
    // A few words IPADIC reads (or cuts) differently from UniDic, over up to 3 tokens.
    let hit: { n: number; pron: string } | undefined;
    for (let n = Math.min(OVERRIDE_MAX_TOKENS, tokens.length - i); n >= 1 && !hit; n--) {
      const pron = OVERRIDES.get(tokens.slice(i, i + n).map((t) => t.surface_form).join(''));
      if (pron) hit = { n, pron };
    }
    const t = tokens[i]!;
    if (hit) {
      words.push({ surface: tokens.slice(i, i + hit.n).map((x) => x.surface_form).join(''), hira: kataToHira(hit.pron), cls: KANA_CLASS, pos: t.pos, number: t.pos_detail_1 === '数' });
      i += hit.n - 1;
      continue;
    }
    const known = t.word_type === 'KNOWN';
    let pron = reading(t.pronunciation) ?? reading(t.reading) ?? t.surface_form;
    if (known) pron = lengthen(pron, t.pos);
    const w: Word = { surface: t.surface_form, hira: kataToHira(pron), cls: known ? KANA_CLASS : charClass(t.surface_form), pos: t.pos, number: t.pos_detail_1 === '数' };
    const prev = words[words.length - 1];
    // misaki's tagger keeps the volitional う with its verb or auxiliary (ましょう, でしょう): a long vowel.
    if (prev && known && t.surface_form === 'う' && t.pos === '助動詞' && /[おこごそぞとどのほぼぽもよろょ]$/.test(prev.hira)) {
      prev.surface += 'う';
      prev.hira += 'ー';
      continue;
    }
    // A word ending in ん joins the next one where misaki's word list joins them (compound
    // nouns, a verb and its で), so ん assimilates: 郵便局 jɯːbʲiŋkʲokɯ, 住んで sɨnde.
    if (prev && prev.hira.endsWith('ん') && w.cls === KANA_CLASS && prev.cls === KANA_CLASS
      && ((prev.pos === '名詞' && t.pos === '名詞' && t.pos_detail_1 !== '数' && !prev.number) || (prev.pos === '動詞' && /^[でだど]/.test(t.surface_form)))) {
      prev.surface += w.surface;
      prev.hira += w.hira;
      continue;
    }
    words.push(w);
  }
  return words;
}

const COUNTER_KEYS = [...COUNTERS.keys()].sort((a, b) => b.length - a.length);
const counterAt = (s: string): string | undefined => COUNTER_KEYS.find((k) => s.startsWith(k));

const isAscii = (s: string): boolean => /^[\x00-\x7f]*$/.test(s);

/** One word's phonemes: ASCII as is (English words stay spelled, as in misaki), symbols mapped, kana read. */
function wordPhonemes(w: Word): string {
  if (isAscii(w.surface)) return w.surface;
  if (w.cls === SYMBOL_CLASS) return symbolsToPhonemes(w.surface);
  if (w.cls !== KANA_CLASS) return ''; // unknown kanji and the like: misaki drops them silently
  return hiraToPhonemes(w.hira);
}

/** Words -> phonemes with cutlet's spacing: a space after each word, none before closing punctuation. */
function join(words: Word[]): string {
  const out: Array<{ s: string; space: boolean }> = [];
  for (const w of words) {
    const s = wordPhonemes(w);
    const tok = { s, space: false };
    const prev = out[out.length - 1];
    // (cutlet tests these with Python's `in` on strings, so an empty reading counts as "(".)
    if ('「『«'.includes(w.surface) || '(['.includes(s)) {
      if (prev) prev.space = true;
    } else if ('」』»'.includes(w.surface) || ']).,?!:'.includes(s)) {
      if (prev) prev.space = false;
      tok.space = true;
    } else tok.space = s !== ' ';
    out.push(tok);
  }
  const text = out.map((t) => t.s.replace(/っ/g, '') + (t.space ? ' ' : '')).join('');
  return text.trim().replace(/\s+/g, ' ').replace(/\(/g, '«').replace(/\)/g, '»')
    // No space around a glottal stop (っ), except after punctuation or before an opening quote.
    .replace(/(?<![!",.:;?»—…”]) (?=ʔ)|(?<=ʔ) (?!["«“])/g, '');
}

/** Kokoro phonemes for Japanese text (before the vocabulary filter). */
export async function jaG2P(text: string): Promise<string> {
  if (!text) return '';
  const tokenizer = await jaTokenizer();
  const words: Word[] = [];
  let afterNumber = false;
  // The normalizer's phrase gaps (and any space between two Japanese characters) are not word
  // bounds for the tagger: 思い出 must stay one word whatever the spacing.
  const joined = text.replace(/(?<=[^\x00-\x7f]) +(?=[^\x00-\x7f])/g, '');
  for (const piece of misakiPrepare(joined)) {
    if (piece.number) {
      for (const k of numberWords(piece.text)) words.push({ surface: k, hira: k, cls: KANA_CLASS, pos: '名詞', number: true });
      afterNumber = true;
      continue;
    }
    let rest = piece.text;
    if (afterNumber) {
      // A counter right after a number is read as a counter (年 ネン, not トシ), cut off before
      // tagging: IPADIC, seeing kana before it, may take it as a word (時に "tokini").
      const c = counterAt(rest);
      if (c) {
        words.push({ surface: c, hira: kataToHira(COUNTERS.get(c)!), cls: KANA_CLASS, pos: '名詞' });
        rest = rest.slice(c.length);
      }
    }
    afterNumber = false;
    // MeCab never makes a token of whitespace; kuromoji does.
    const tokens = tokenizer.tokenize(rest).filter((t) => t.surface_form.trim() !== '');
    if (tokens.length) words.push(...toWords(tokens));
  }
  return join(words);
}
