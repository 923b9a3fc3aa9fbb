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
    // misaki's iə→ɪə (GB) and ɪə→iə (US) only hit untied pairs, which espeak hardly ever emits.
    ps = ps.replaceAll('eə', 'ɛː').replaceAll('əʊ', 'Q');
  } else {
    ps = ps.replaceAll('oʊ', 'O').replaceAll('ɜːɹ', 'ɜɹ').replaceAll('ɜː', 'ɜɹ').replaceAll('ː', '');
  }
  ps = ps.replaceAll('o', 'ɔ');
  return ps.replaceAll('ɾ', 'T').replaceAll('ʔ', 't');
}

const cache = new Map<string, string>();
// Voice identifiers, not language names: the WASM build does not switch back to "en-gb"
// by language name once another English voice was selected.
const VOICE = { us: 'gmw/en-US', gb: 'gmw/en' };
// Like the Python phonemizer misaki uses (preserve_punctuation), punctuation is kept in
// place and only the text between marks is sent to espeak-ng.
const MARKS = /((?:\s*[;:,.!?¡¿—…"«»“”(){}\[\]]+\s*)+)/;

async function espeakSegment(text: string, british: boolean): Promise<string> {
  const lines = await espeakPhonemize(text, british ? VOICE.gb : VOICE.us);
  return lines.join(' ').trim();
}

/** Kokoro phonemes for one word (or short phrase) via espeak-ng; '' when espeak has nothing. */
export async function espeakWord(text: string, british: boolean): Promise<string> {
  const key = `${british ? 'gb' : 'us'}\u0000${text}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let ipa = '';
  // split() with a capture group alternates text (even indexes) and marks (odd indexes).
  const parts = text.split(MARKS);
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 1) ipa += parts[i];
    else if (parts[i].trim()) ipa += await espeakSegment(parts[i].trim(), british);
  }
  const ps = espeakToKokoro(ipa, british);
  if (cache.size > 50_000) cache.clear();
  cache.set(key, ps);
  return ps;
}
