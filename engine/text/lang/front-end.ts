// Front end for the languages beyond English: what engine/text/index.ts calls per language.
// index.ts keeps its chunking; for these languages it swaps three steps:
//   normalizeText(text, lang)  -> normalizeFor(lang, text)
//   splitSentences(text)       -> splitSentencesLang(text, lang)
//   G2P.phonemize(piece)       -> phonemizeLang(piece, lang)   (then vocab.filter as today)
import { espeakG2P } from './espeak-langs.js';
import { isEspeakLang, type AnyLang } from './langs.js';
import { normalizeLangText } from './normalize-lang.js';
import { normalizeZh, splitWordsZh } from './zh/normalize.js';
import { jaG2P } from './ja/g2p.js';
import { normalizeJa } from './ja/normalize.js';

export { splitSentencesLang } from './sentences-lang.js';

export function normalizeFor(lang: AnyLang, text: string): string {
  if (lang === 'zh') return normalizeZh(text);
  if (lang === 'ja') return normalizeJa(text);
  return isEspeakLang(lang) ? normalizeLangText(text, lang) : text;
}

/** Languages with a front end in this folder (the espeak ones, ja and zh). */
export const hasLangFrontEnd = (lang: unknown): boolean => isEspeakLang(lang) || lang === 'ja' || lang === 'zh';

/** Words of a normalized sentence, for the chunker's cuts: spaces, and Chinese word bounds in zh. */
export function splitWords(text: string, lang: AnyLang): string[] {
  return lang === 'zh' ? splitWordsZh(text) : text.split(' ');
}

/** Kokoro phonemes (before the vocabulary filter) for one normalized piece of text. */
export async function phonemizeLang(text: string, lang: AnyLang): Promise<string> {
  if (isEspeakLang(lang)) return espeakG2P(text, lang);
  // Loaded on first use, like espeak's WASM: pinyin-pro's dictionaries cost ~130 ms and ~27 MB.
  if (lang === 'zh') return (await import('./zh/g2p.js')).zhG2P(text);
  if (lang === 'ja') return jaG2P(text);
  throw new Error(`no front end for ${lang} yet`);
}
