// One pinyin syllable (tone number 1-5, 5 = neutral) -> Kokoro phonemes, as misaki 0.9.4 feeds
// Kokoro v1.0: misaki/transcription.py (an adaptation of the pinyin-to-ipa package) takes the
// first IPA variant of initial and final, puts the tone after the final's nucleus, and zh.py
// then writes tones as arrows (˥ →, ˧˥ ↗, ˧˩˧ ↓, ˥˩ ↘, neutral: none), the apical vowels ɻ̩ ɹ̩ as
// ɨ, and drops the non-syllabic mark (U+032F). The tables below are those facts, in our layout:
// a final is [what comes before the tone, what comes after it].

const INITIALS: Record<string, string> = {
  b: 'p', p: 'pʰ', m: 'm', f: 'f', d: 't', t: 'tʰ', n: 'n', l: 'l', g: 'k', k: 'kʰ', h: 'x',
  j: 'ʨ', q: 'ʨʰ', x: 'ɕ', zh: 'ꭧ', ch: 'ꭧʰ', sh: 'ʂ', r: 'ɻ', z: 'ʦ', c: 'ʦʰ', s: 's',
};
// Strict initials (y and w are not initials: they belong to the final), longest first.
const INITIAL_ORDER = ['zh', 'ch', 'sh', ...'bpmfdtnlgkhjqxrzcs'];

const FINALS: Record<string, [string, string]> = {
  a: ['a', ''], ai: ['ai', ''], an: ['a', 'n'], ang: ['a', 'ŋ'], ao: ['au', ''],
  e: ['ɤ', ''], ei: ['ei', ''], en: ['ə', 'n'], eng: ['ə', 'ŋ'],
  i: ['i', ''], ia: ['ja', ''], ian: ['jɛ', 'n'], iang: ['ja', 'ŋ'], iao: ['jau', ''], ie: ['je', ''],
  in: ['i', 'n'], iou: ['jou', ''], ing: ['i', 'ŋ'], iong: ['jʊ', 'ŋ'], ong: ['ʊ', 'ŋ'], ou: ['ou', ''],
  u: ['u', ''], uei: ['wei', ''], ua: ['wa', ''], uai: ['wai', ''], uan: ['wa', 'n'], uen: ['wə', 'n'],
  uang: ['wa', 'ŋ'], ueng: ['wə', 'ŋ'], uo: ['wo', ''], o: ['wo', ''],
  ü: ['y', ''], üe: ['ɥe', ''], üan: ['ɥɛ', 'n'], ün: ['y', 'n'],
};
// Whole syllables read as they stand: interjections and syllabic consonants.
const WHOLE: Record<string, [string, string]> = {
  io: ['jɔ', ''], ê: ['ɛ', ''], er: ['ɚ', ''], o: ['ɔ', ''],
  hm: ['hm', ''], hng: ['hŋ', ''], m: ['m', ''], n: ['n', ''], ng: ['ŋ', ''],
};
const TONES = ['', '→', '↗', '↓', '↘', ''];

/** pypinyin's strict final of a toneless syllable without its initial: y/w spelled out, ü after j q x, iu ui un in full. */
function strictFinal(initial: string, rest: string): string {
  let f = rest.replaceAll('v', 'ü');
  if (!initial) {
    if (f === 'yo') return 'o';
    if (f === 'wong') return 'ong';
    if (f.startsWith('yu')) f = 'ü' + f.slice(2);
    else if (f.startsWith('yi')) f = f.slice(1);
    else if (f.startsWith('y')) f = 'i' + f.slice(1);
    else if (f === 'wu') f = 'u';
    else if (f.startsWith('w')) f = 'u' + f.slice(1);
  } else if ('jqx'.includes(initial) && f.startsWith('u')) {
    f = 'ü' + f.slice(1);
  }
  if (f === 'iu') return 'iou';
  if (f === 'ui') return 'uei';
  if (f === 'un') return 'uen';
  return f;
}

/** Kokoro phonemes for one syllable such as "zhong1", "lü4", "lve4", "de5"; undefined when it is not pinyin. */
export function syllableToPhonemes(syllable: string): string | undefined {
  const m = /^([a-zü]+|ê)([0-5])?$/u.exec(syllable.toLowerCase().normalize('NFC'));
  if (!m) return undefined;
  const plain = m[1]!;
  const tone = TONES[Number(m[2] ?? 5)] ?? '';
  const whole = WHOLE[plain];
  if (whole) return whole[0] + tone + whole[1];
  const initial = INITIAL_ORDER.find((i) => plain.startsWith(i) && plain.length > i.length) ?? '';
  const final = strictFinal(initial, plain.slice(initial.length));
  let parts = FINALS[final];
  if (!parts) return undefined;
  // The apical vowels of zhi chi shi ri and zi ci si.
  if (final === 'i' && ['zh', 'ch', 'sh', 'r', 'z', 'c', 's'].includes(initial)) parts = ['ɨ', ''];
  return (INITIALS[initial] ?? '') + parts[0] + tone + parts[1];
}
