// Kokoro-FastAPI's `lang_code` on the speech request: its one-letter codes (a b e f h i p j z,
// also every voice's prefix) and language tags (en-us, fr, pt-br, ja-jp, cmn...), resolved with
// engine/text/lang/langs.ts (plain data: no WASM is loaded by importing it).
import { LANG_CODE, resolveLang } from '../../engine/text/lang/langs.js';
import { isLang, LANGS, type Lang } from '../../protocol/constants.js';

/** "'a'/'en-us', 'b'/'en-gb', 'e'/'es', ...": the languages spoken, for messages. */
export function supportedLangCodes(): string {
  return LANGS.map((tag) => {
    const letter = Object.keys(LANG_CODE).find((k) => LANG_CODE[k] === tag);
    return letter ? `'${letter}'/'${tag}'` : `'${tag}'`;
  }).join(', ');
}

export type LangCodeResult = { lang: Lang } | { error: 'unknown' | 'unsupported'; tag?: string };

/** A lang_code value → a language we speak, or why not. */
export function readLangCode(code: string): LangCodeResult {
  const tag = resolveLang(code);
  if (tag === undefined) return { error: 'unknown' };
  if (!isLang(tag)) return { error: 'unsupported', tag };
  return { lang: tag };
}
