// Stress handling on Kokoro/misaki phoneme strings. Behaviour follows misaki's documented
// rules (misaki/en.py, read for facts): a stress level moves marks up or down a step.

export const PRIMARY = 'ˈ';
export const SECONDARY = 'ˌ';
export const VOWELS = new Set('AIOQWYaiuæɑɒɔəɛɜɪʊʌᵻ');
export const CONSONANTS = new Set('bdfhjklmnpstvwzðŋɡɹɾʃʒʤʧθ');
const DIPHTHONGS = new Set('AIOQWYʤʧ');

const hasVowel = (ps: string): boolean => [...ps].some((c) => VOWELS.has(c));
const hasStress = (ps: string): boolean => ps.includes(PRIMARY) || ps.includes(SECONDARY);

/** Moves every stress mark to sit directly before the next vowel. */
function restress(ps: string): string {
  const chars = [...ps];
  const keyed: Array<[number, string]> = chars.map((c, i) => [i, c]);
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] !== PRIMARY && chars[i] !== SECONDARY) continue;
    let j = i;
    while (j < chars.length && !VOWELS.has(chars[j])) j++;
    keyed[i] = [j - 0.5, chars[i]];
  }
  keyed.sort((a, b) => a[0] - b[0]);
  return keyed.map((k) => k[1]).join('');
}

/** Applies a stress level (misaki's scale: <-1 strip, -1/-0.5/0 demote, 0.5..2 promote). */
export function applyStress(ps: string, stress: number | null | undefined): string {
  if (stress === null || stress === undefined) return ps;
  if (stress < -1) return ps.replaceAll(PRIMARY, '').replaceAll(SECONDARY, '');
  if (stress === -1 || ((stress === 0 || stress === -0.5) && ps.includes(PRIMARY))) {
    return ps.replaceAll(SECONDARY, '').replaceAll(PRIMARY, SECONDARY);
  }
  if ((stress === 0 || stress === 0.5 || stress === 1) && !hasStress(ps)) {
    return hasVowel(ps) ? restress(SECONDARY + ps) : ps;
  }
  if (stress >= 1 && !ps.includes(PRIMARY) && ps.includes(SECONDARY)) {
    return ps.replaceAll(SECONDARY, PRIMARY);
  }
  if (stress > 1 && !hasStress(ps)) {
    return hasVowel(ps) ? restress(PRIMARY + ps) : ps;
  }
  return ps;
}

/** Weight used to decide which part of a compound keeps its primary stress. */
export function stressWeight(ps: string): number {
  let w = 0;
  for (const c of ps) w += DIPHTHONGS.has(c) ? 2 : 1;
  return w;
}
