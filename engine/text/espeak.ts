// Fallback for words in no lexicon: espeak-ng (shipped as WASM by the `phonemizer` npm
// package) then its IPA rewritten onto Kokoro's symbols with misaki's mapping table
// (misaki/espeak.py, read for the facts: eɪ→A, aɪ→I, aʊ→W, ɔɪ→Y, US oʊ→O, GB əʊ→Q, dʒ→ʤ,
// tʃ→ʧ, ɚ→əɹ, r→ɹ, ɐ→ə, x/ç→k, syllabic consonants→ᵊ, US drops ː, ɾ→T, ʔ→t).
import { phonemize as espeakPhonemize } from 'phonemizer';

// The WASM build prints no tie bars, so multi-letter phonemes are matched as plain pairs.
const COMMON: Array<[RegExp | string, string]> = [
  ['ʔˌn\u0329', 'ʔn'], ['ʔn\u0329', 'ʔn'],
  ['aɪ', 'I'], ['aʊ', 'W'], ['dʒ', 'ʤ'], ['eɪ', 'A'], ['e', 'A'], ['tʃ', 'ʧ'], ['ɔɪ', 'Y'],
  // espeak's syllabic l (@L) is written "əl"; it ends a syllable, so only before a consonant or the end.
  [/əl(?![aeiouæɑɒɔəɛɜɪʊʌᵻAIOQWY])/g, 'ᵊl'],
  ['ʲo', 'jo'], ['ʲə', 'jə'], ['ʲ', ''], ['ɚ', 'əɹ'], ['r', 'ɹ'], ['x', 'k'], ['ç', 'k'], ['ɐ', 'ə'],
  ['ɬ', 'l'], ['\u0303', ''],
];

export function espeakToKokoro(ipa: string, british: boolean): string {
  let ps = ipa.trim();
  for (const [from, to] of COMMON) ps = typeof from === 'string' ? ps.replaceAll(from, to) : ps.replace(from, to);
  ps = ps.replace(/(\S)\u0329/gu, 'ᵊ$1').replaceAll('\u0329', '');
  if (british) {
    ps = ps.replaceAll('eə', 'ɛː').replaceAll('iə', 'ɪə').replaceAll('əʊ', 'Q');
  } else {
    ps = ps.replaceAll('oʊ', 'O').replaceAll('ɜːɹ', 'ɜɹ').replaceAll('ɜː', 'ɜɹ').replaceAll('ɪə', 'iə').replaceAll('ː', '');
  }
  ps = ps.replaceAll('o', 'ɔ');
  return ps.replaceAll('ɾ', 'T').replaceAll('ʔ', 't');
}

const cache = new Map<string, string>();

/** Kokoro phonemes for one word (or short phrase) via espeak-ng; '' when espeak has nothing. */
export async function espeakWord(text: string, british: boolean): Promise<string> {
  const key = `${british ? 'gb' : 'us'}\u0000${text}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const lines = await espeakPhonemize(text, british ? 'en-gb' : 'en-us');
  const ps = lines.length ? espeakToKokoro(lines.join(' '), british) : '';
  if (cache.size > 50_000) cache.clear();
  cache.set(key, ps);
  return ps;
}
