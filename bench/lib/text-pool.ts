// Texts that are never handed out twice, for benchmarks that must not let a cache help: a
// hand-written pool first (bench/texts.ts's paragraphs and the ones below, written for these
// benchmarks), then generated sentences and paragraphs in which every sentence carries a number
// used nowhere else in the run, so no sentence (and so no chunk) repeats. The same pool object
// gives one text to a job; the job is then run on every server, so each server sees each text
// once and all servers see the same texts.
import { PARAGRAPHS, SHORT } from '../texts.js';

/** One sentence each, 9-16 words. */
const HAND_SHORTS: readonly string[] = [
  SHORT,
  'Please leave the blue folder on the desk by the window.',
  'The ferry to the island leaves every hour until late evening.',
  'Our neighbor painted her front door a cheerful shade of green.',
  'A light rain fell all afternoon, and the streets smelled of wet stone.',
  'He wrapped the old camera in a scarf before packing it away.',
  'The museum stays open later on Thursdays during the summer months.',
  'Two owls called to each other across the dark garden last night.',
  'She found the missing key taped under the lid of the piano.',
  'The new bridge will carry cyclists and walkers over the canal.',
  'Fresh snow covered the hills, and the village looked like a postcard.',
  'Remember to water the tomatoes before the sun gets too strong.',
];

/** About 60-80 words each, written for this benchmark. */
const HAND_PARAGRAPHS: readonly string[] = [
  ...PARAGRAPHS,
  'The old lighthouse keeper kept a notebook of every ship he saw. Some entries were only a name and a time, ' +
    'others filled a whole page with the color of the sails, the state of the sea, and the songs the sailors ' +
    'sang as they passed. His granddaughter found the notebooks in a trunk years later and read them aloud, ' +
    'one evening at a time, to anyone who would listen.',
  'Learning to play the cello as an adult is humbling. The bow wanders, the notes slide out of tune, and the ' +
    'neighbors are patient only up to a point. Still, after a few months something changes. The scales start ' +
    'to sound like music, the fingers find their places without looking, and an ordinary Sunday afternoon ' +
    'turns into the best hour of the week.',
  'The village market opens at dawn on Saturdays. Farmers unload crates of apples, pears, and late plums, ' +
    'while a man with a small cart sells honey in jars of every size. By nine the square is crowded with ' +
    'families, dogs, and a street musician who plays the same three songs with great conviction. Most people ' +
    'leave with more than they planned to buy.',
  'Our office moved to the fourth floor last month, and the view is the best thing about it. From the ' +
    'kitchen window you can see the river bend around the old mill and the trains crossing the iron bridge. ' +
    'Meetings run a little shorter now, mostly because everyone wants to get back to their desks by the ' +
    'glass before the afternoon light fades.',
  'The robot vacuum has strong opinions about our living room. It avoids the rug by the sofa, spends far too ' +
    'long under the dining table, and gets stuck, without fail, behind the same bookcase. We have started ' +
    'to leave it little obstacles on purpose, just to see what it decides. So far it has won every argument ' +
    'except the one about the cat.',
  'Winter evenings at the cabin follow a simple routine. Someone splits wood and carries it inside, someone ' +
    'else starts the soup, and the rest of us argue cheerfully about which board game to play. By eight the ' +
    'windows are fogged, the stove ticks as it heats up, and the only sound from outside is the wind moving ' +
    'through the tall pines behind the house.',
];

const NAMES = ['Anna', 'Marcus', 'Priya', 'Jonas', 'Elena', 'Samuel', 'Ruth', 'Daniel', 'Mei', 'Oscar', 'Grace', 'Victor', 'Laila'];
const PLACES = ['harbor', 'library', 'station', 'orchard', 'workshop', 'bakery', 'school', 'garden', 'museum', 'market', 'clinic'];
const THINGS = ['boxes', 'lanterns', 'letters', 'bicycles', 'jars of jam', 'old maps', 'paper cranes', 'chairs', 'seed packets', 'books'];
const TEMPLATES: readonly ((n: number, a: string, p: string, t: string) => string)[] = [
  (n, a, p, t) => `${a} counted ${n} ${t} near the ${p} before lunch and wrote the total in a small notebook.`,
  (n, a, p, t) => `By the end of the week, the ${p} had received ${n} ${t}, far more than anyone expected.`,
  (n, a, p, t) => `The note on the ${p} door said that ${n} ${t} were still waiting for ${a} to collect them.`,
  (n, a, p, t) => `${a} laughed when the clerk at the ${p} asked whether ${n} ${t} would really fit in one van.`,
  (n, a, p, t) => `Nobody at the ${p} could explain why exactly ${n} ${t} had arrived without a single label.`,
  (n, a, p, t) => `On the quiet road behind the ${p}, ${a} stopped to read sign number ${n} about missing ${t}.`,
  (n, a, p, t) => `The report from the ${p} listed ${n} ${t}, and ${a} promised to check every one by Friday.`,
  (n, a, p, t) => `After a long afternoon at the ${p}, ${a} had sorted ${n} ${t} into neat and patient rows.`,
];

export const ENGLISH_VOICES: readonly string[] = [
  'af_heart', 'am_michael', 'bf_emma', 'bm_george', 'af_bella', 'am_adam', 'bf_isabella', 'bm_fable', 'af_nicole',
  'am_echo', 'bf_alice', 'bm_lewis', 'af_sarah', 'am_eric', 'bf_lily', 'bm_daniel', 'af_sky', 'am_fenrir', 'af_nova',
  'am_liam', 'af_alloy', 'am_onyx', 'af_aoede', 'am_puck', 'af_jessica', 'af_kore', 'af_river', 'am_santa',
];

export class TextPool {
  private shorts = 0;
  private paragraphs = 0;
  private n = 0;
  private readonly given = new Set<string>();

  /** A generated sentence whose number appears in no other sentence of this pool. */
  private sentence(): string {
    const k = this.n++;
    const num = 1000 + k * 37; // distinct for every k, spread out so the words vary
    const t = TEMPLATES[k % TEMPLATES.length]!;
    return t(num, NAMES[(k * 5) % NAMES.length]!, PLACES[(k * 3) % PLACES.length]!, THINGS[(k * 7) % THINGS.length]!);
  }

  private unique(s: string): string {
    if (this.given.has(s)) throw new Error(`text pool: a text was about to be handed out twice: ${s.slice(0, 60)}`);
    this.given.add(s);
    return s;
  }

  /** One sentence. */
  short(): string {
    return this.unique(this.shorts < HAND_SHORTS.length ? HAND_SHORTS[this.shorts++]! : this.sentence());
  }

  /** About 60-90 words. */
  paragraph(): string {
    if (this.paragraphs < HAND_PARAGRAPHS.length) return this.unique(HAND_PARAGRAPHS[this.paragraphs++]!);
    return this.unique(Array.from({ length: 4 }, () => this.sentence()).join(' '));
  }

  /** Three paragraphs. */
  long(): string {
    return this.unique([this.paragraph(), this.paragraph(), this.paragraph()].join(' '));
  }

  take(kind: 'short' | 'paragraph' | 'long'): string {
    return kind === 'short' ? this.short() : kind === 'paragraph' ? this.paragraph() : this.long();
  }
}
