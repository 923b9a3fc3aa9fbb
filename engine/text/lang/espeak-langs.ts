// misaki's EspeakG2P (misaki/espeak.py, read for the facts; our own code), which Kokoro's
// KPipeline uses for es, fr-fr, hi, it and pt-br: the Python `phonemizer` EspeakBackend with
// preserve_punctuation, with_stress, tie='^' and language_switch='remove-flags', then
//   « » -> “ ” and ( ) -> « » before, back after; tied pairs a^ɪ→I a^ʊ→W d^z→ʣ d^ʒ→ʤ e^ɪ→A
//   o^ʊ→O ə^ʊ→Q s^s→S t^s→ʦ t^ʃ→ʧ ɔ^ɪ→Y; remaining ties and '-' deleted.
// Ties only join the letters of ONE espeak phoneme, so "a" then "ɪ" across phonemes stays "aɪ";
// our WASM build prints phonemes separated by '_', from which the ties are rebuilt.
import { espeakIpa } from './espeak-wasm.js';
import { ESPEAK_VOICE, type EspeakLang } from './langs.js';

const E2M: Record<string, string> = {
  'a^ɪ': 'I', 'a^ʊ': 'W', 'd^z': 'ʣ', 'd^ʒ': 'ʤ', 'e^ɪ': 'A', 'o^ʊ': 'O', 'ə^ʊ': 'Q',
  's^s': 'S', 't^s': 'ʦ', 't^ʃ': 'ʧ', 'ɔ^ɪ': 'Y',
};
// misaki applies them in sorted key order; none overlaps another, so order does not matter.
const E2M_ENTRIES = Object.entries(E2M).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

// phonemizer's default punctuation marks; a run of them (with the spaces around) is kept verbatim.
const MARKS = /((?:\s*[;:,.!?¡¿—…"«»“”(){}\[\]]+\s*)+)/u;
const STRESS = /^[ˈˌ]+/u;

/** espeak-ng's tie rule: a tie goes before each non-initial letter of a phoneme that is not a
 * modifier letter or combining mark (U+02B0–U+036F). */
export function tiePhoneme(ph: string): string {
  const m = STRESS.exec(ph);
  const stress = m ? m[0] : '';
  let out = '';
  let n = 0;
  for (const c of ph.slice(stress.length)) {
    const cp = c.codePointAt(0) ?? 0;
    if (n > 0 && /\p{L}/u.test(c) && !(cp >= 0x2b0 && cp <= 0x36f)) out += '^';
    out += c;
    n++;
  }
  return stress + out;
}

/** One espeak output (phonemes '_'-separated, clauses on lines) -> phonemizer's tie='^' string. */
export function tieOutput(raw: string): string {
  const line = raw.trim().replace(/\n/g, ' ').replaceAll('  ', ' ').replace(/_+/g, '_').replace(/_ /g, ' ');
  return line.split(' ').map((w) => w.split('_').filter(Boolean).map(tiePhoneme).join('')).join(' ');
}

/** Drops espeak's language-switch flags, like phonemizer's language_switch='remove-flags'. */
export function removeFlags(s: string): string {
  return s.replace(/\([a-z_^]{2,6}(?:-[a-z0-9_^]+)?\)/gi, '');
}

/** misaki's mapping of tied espeak IPA onto Kokoro's symbols (EspeakG2P, version 1.0). */
export function mapEspeak(tied: string): string {
  let ps = tied;
  for (const [from, to] of E2M_ENTRIES) ps = ps.replaceAll(from, to);
  return ps.replaceAll('^', '').replaceAll('-', '');
}

const cache = new Map<string, string>();

async function segment(text: string, lang: EspeakLang): Promise<string> {
  const key = `${lang}\u0000${text}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const raw = await espeakIpa(text, ESPEAK_VOICE[lang]);
  const ps = tieOutput(removeFlags(raw)).replace(/ {2,}/g, ' ').trim();
  if (cache.size > 50_000) cache.clear();
  cache.set(key, ps);
  return ps;
}

/** Kokoro phonemes for a sentence in an espeak language, as misaki's EspeakG2P gives them. */
export async function espeakG2P(text: string, lang: EspeakLang): Promise<string> {
  const t = text.replaceAll('«', '\u201c').replaceAll('»', '\u201d').replaceAll('(', '«').replaceAll(')', '»');
  // split() with a capture group alternates text (even indexes) and marks (odd indexes).
  const parts = t.split(MARKS);
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 1) out += parts[i];
    else if (parts[i].trim()) out += await segment(parts[i].trim(), lang);
  }
  return mapEspeak(out.trim()).replaceAll('«', '(').replaceAll('»', ')');
}
