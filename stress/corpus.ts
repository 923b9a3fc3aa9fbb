// The fixed set of requests the load draws from. Every entry has its own text, so a response
// handed to the wrong client correlates with someone else's reference and is caught.

export type TextClass = 'short' | 'paragraph' | 'multiChunk' | 'huge';

export interface SpeechCase {
  /** Stable key for the reference cache: one per (text, voice, speed). */
  id: string;
  textClass: TextClass;
  text: string;
  voice: string;
  speed: number;
}

const SHORT = [
  'The copper kettle whistled at noon.',
  'Seven purple owls crossed the frozen river.',
  'Please bring the blue ladder to the garden shed.',
  'A quiet train rolled north before sunrise.',
  'Thunder rumbled while the baker counted loaves.',
];

const PARAGRAPH = [
  'The lighthouse keeper wrote in his journal every evening. He noted the wind, the color of the sea, ' +
    'and the ships that passed too close to the rocks.',
  'Our team met on Tuesday to plan the spring festival. We agreed on music in the square, ' +
    'lanterns along the canal, and a long table of bread and cheese.',
];

const MULTI_CHUNK = [
  'When the storm finally passed, the village came out to count the damage. Fences lay flat in the ' +
    'fields, and the little bridge over the mill stream was gone. Nobody had been hurt, which everyone ' +
    'agreed was the only thing that mattered. By evening the farmers were already mending fences.',
];

// The other languages, each with one of its own voices (the language comes from the prefix).
// Japanese loads its dictionary in an engine on first use (~3 s, ~345 MB), so one short entry.
const OTHER_LANGUAGES: ReadonlyArray<{ textClass: TextClass; voice: string; text: string }> = [
  { textClass: 'short', voice: 'ef_dora', text: 'El tren de la mañana llegó con diez minutos de retraso.' },
  { textClass: 'short', voice: 'ff_siwis', text: 'Le boulanger a vendu toutes ses baguettes avant midi.' },
  { textClass: 'short', voice: 'if_sara', text: 'La biblioteca chiude presto il venerdì pomeriggio.' },
  { textClass: 'short', voice: 'pm_alex', text: 'O mercado abre cedo e fecha antes do almoço.' },
  { textClass: 'paragraph', voice: 'hf_alpha', text: 'आज सुबह बारिश हुई। बच्चे स्कूल जाने से पहले आँगन में खेलते रहे।' },
  { textClass: 'paragraph', voice: 'em_alex', text: 'Cuando llegamos al puerto, el barco ya había salido. Esperamos en un café pequeño, ' +
    'mirando las gaviotas, hasta que el siguiente apareció en el horizonte.' },
  { textClass: 'short', voice: 'jf_alpha', text: '駅の近くの本屋は、毎朝九時に開きます。' },
  { textClass: 'short', voice: 'zf_xiaobei', text: '图书馆星期五下午五点关门，请大家提前还书。' },
];

const VOICES = ['af_heart', 'am_adam', 'bf_emma', 'af_heart+am_adam', 'af_bella(2)+bf_emma(1)', 'bm_george'];
const SPEEDS = [1, 1.15, 0.9];

function build(): SpeechCase[] {
  const cases: SpeechCase[] = [];
  let v = 0;
  const add = (textClass: TextClass, texts: string[]) => {
    texts.forEach((text, i) => {
      const voice = VOICES[v % VOICES.length]!;
      const speed = SPEEDS[v % SPEEDS.length]!;
      v++;
      cases.push({ id: `${textClass}-${i}`, textClass, text, voice, speed });
    });
  };
  add('short', SHORT);
  add('paragraph', PARAGRAPH);
  add('multiChunk', MULTI_CHUNK);
  OTHER_LANGUAGES.forEach((c, i) => cases.push({ id: `lang-${i}`, textClass: c.textClass, text: c.text, voice: c.voice, speed: SPEEDS[i % SPEEDS.length]! }));
  return cases;
}

export const CASES: readonly SpeechCase[] = build();

export const TEXT_CLASS_WEIGHTS: readonly (readonly [TextClass, number])[] = [
  ['short', 6],
  ['paragraph', 3],
  ['multiChunk', 1],
];

/**
 * Huge whole-file requests, for the fast-engine profile only (with real CPU engines one would
 * take minutes): 6,000 distinct characters at speed 0.5, about 13 minutes of audio (38 MB of pcm).
 */
export const HUGE_CASES: readonly SpeechCase[] = [0, 1].map((k) => {
  let text = '';
  for (let i = 0; text.length < 6000; i++) text += `Part ${k} line ${i}: the long report goes on, page after page, without a pause. `;
  return { id: `huge-${k}`, textClass: 'huge' as const, text: text.slice(0, 6000), voice: k ? 'am_adam' : 'af_heart', speed: 0.5 };
});

export function casesOf(textClass: TextClass): SpeechCase[] {
  return CASES.filter((c) => c.textClass === textClass);
}
