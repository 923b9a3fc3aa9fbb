// Chunk-edge silence trim. Kokoro pads every chunk with silence at both ends (300-330 ms
// before the speech, 435-530 ms after it whatever the ending: bench/edges.ts), so two chunks played back to back
// leave a pause of up to 800 ms where one chunk holding the same phonemes pauses 20-500 ms.
// After inference each chunk's leading silence is cut to at most LEAD_MS and its trailing
// silence to at most TRAIL_MS[ending], the ending class read off the chunk's last tokens, so
// the pause across a join is about what a one-chunk rendering has at that boundary.
//
// A pure function of the samples, the tokens and the speed: the same chunk gives the same
// samples on every engine, through /infer and /synthesize alike, so the gateway's chunk cache
// and a resume on another engine stay valid. It never cuts speech: only whole 10 ms frames
// whose RMS is under SILENT_RMS at the very edges are candidates, and a margin is always kept.
import { SAMPLE_RATE } from '../protocol/constants.js';

export type Ending = 'sentence' | 'clause' | 'none';

/** Most silence kept before the first speech frame (every chunk, the first one included). */
export const LEAD_MS = 40;
/** Most silence kept after the last speech frame, by how the chunk ends (at speed 1). */
export const TRAIL_MS: Readonly<Record<Ending, number>> = { sentence: 400, clause: 160, none: 20 };
/** Fade over the outermost kept samples where a cut was made (they are silence already). */
export const FADE_MS = 4;
/** Frame RMS under this counts as silence: about -46 dBFS. */
export const SILENT_RMS = 0.005;
const FRAME = SAMPLE_RATE / 100; // 10 ms

/** Token ids of Kokoro's punctuation (config.json "vocab"). */
export interface PunctuationIds {
  sentence: ReadonlySet<number>;
  clause: ReadonlySet<number>;
  /** Skipped when looking for the last punctuation: closing quotes and brackets, spaces. */
  transparent: ReadonlySet<number>;
}

/** Kokoro-82M's ids: '.' 4, '!' 5, '?' 6, '…' 10; ';' 1, ':' 2, ',' 3, '—' 9; '"' 11, ')' 13, '”' 15, ' ' 16. */
export const KOKORO_PUNCTUATION: PunctuationIds = {
  sentence: new Set([4, 5, 6, 10]),
  clause: new Set([1, 2, 3, 9]),
  transparent: new Set([11, 13, 15, 16]),
};

/** The same sets for a vocabulary given as symbol -> id (symbols it lacks are left out). */
export function punctuationIds(id: (symbol: string) => number | undefined): PunctuationIds {
  const set = (symbols: string) => new Set([...symbols].map(id).filter((x): x is number => x !== undefined));
  return { sentence: set('.!?…'), clause: set(',;:—'), transparent: set('")”’ ') };
}

/** How a chunk ends: its last token that is not a closing quote, bracket or space. */
export function endingClass(tokens: ArrayLike<number>, ids: PunctuationIds = KOKORO_PUNCTUATION): Ending {
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i]!;
    if (ids.transparent.has(t)) continue;
    return ids.sentence.has(t) ? 'sentence' : ids.clause.has(t) ? 'clause' : 'none';
  }
  return 'none';
}

export interface TrimOptions {
  leadMs?: number;
  trailMs?: Readonly<Record<Ending, number>>;
  fadeMs?: number;
  silentRms?: number;
  ids?: PunctuationIds;
}

/**
 * `samples` with the edge silence cut as described above; limits scale with 1/speed, as
 * Kokoro's own pauses do. Returns `samples` itself when nothing is cut (and for audio with no
 * frame above the silence threshold), else a new array. Deterministic: plain arithmetic on
 * the inputs only.
 */
export function trimEdges(samples: Float32Array, tokens: ArrayLike<number>, speed = 1, opts: TrimOptions = {}): Float32Array {
  return trimEdgesAt(samples, tokens, speed, opts).samples;
}

/**
 * trimEdges(), also saying where the kept samples began in the model's output (`from`), so
 * word times read off the model's durations match the samples actually sent.
 */
export function trimEdgesAt(samples: Float32Array, tokens: ArrayLike<number>, speed = 1, opts: TrimOptions = {}): { samples: Float32Array; from: number } {
  const silent = opts.silentRms ?? SILENT_RMS;
  const scale = 1 / (speed > 0 && Number.isFinite(speed) ? speed : 1);
  const ms = (x: number) => Math.round((x * scale * SAMPLE_RATE) / 1000);
  const lead = ms(opts.leadMs ?? LEAD_MS);
  const trail = ms((opts.trailMs ?? TRAIL_MS)[endingClass(tokens, opts.ids)]);
  const fade = Math.round(((opts.fadeMs ?? FADE_MS) * SAMPLE_RATE) / 1000);
  const loud = (start: number): boolean => {
    const end = Math.min(samples.length, start + FRAME);
    let s = 0;
    for (let j = start; j < end; j++) s += samples[j]! * samples[j]!;
    return Math.sqrt(s / (end - start)) >= silent;
  };
  // First and last speech frames (the last frame may be short).
  let first = 0;
  while (first < samples.length && !loud(first)) first += FRAME;
  if (first >= samples.length) return { samples, from: 0 };
  let last = Math.floor((samples.length - 1) / FRAME) * FRAME;
  while (last > first && !loud(last)) last -= FRAME;
  const speechEnd = Math.min(samples.length, last + FRAME);
  const from = Math.max(0, first - lead);
  const to = Math.min(samples.length, speechEnd + trail);
  if (from === 0 && to === samples.length) return { samples, from: 0 };
  const out = samples.slice(from, to);
  // Fades over kept silence only: never into the speech frames.
  if (from > 0) {
    const n = Math.min(fade, first - from);
    for (let i = 0; i < n; i++) out[i]! *= i / n;
  }
  if (to < samples.length) {
    const n = Math.min(fade, to - speechEnd);
    for (let i = 0; i < n; i++) out[out.length - 1 - i]! *= i / n;
  }
  return { samples: out, from };
}
