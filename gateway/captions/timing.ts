// Word times from the model's durations. The engine sends, per chunk, each token's predicted
// duration and how many samples the edge trim cut from the model's output (TIMING frame); the
// plan says which tokens each word was read as (WORDS frame). A word's times inside its chunk
// follow from those alone, so they are the same on every engine, from the cache or not, and
// after a resume; the request's time line is the sum of the chunks delivered before it.
import type { ChunkTiming, PlanWord } from '../../protocol/engine-wire.js';

/** A word with its [start, end) in samples, relative to the start of its chunk's audio. */
export interface TimedWord {
  text: string;
  start: number;
  end: number;
}

/**
 * Timing of chunks as they come back from the engines, keyed by the samples themselves: the
 * scheduler sets it when a chunk arrives, and the memory cache hands the same array back, so a
 * cached chunk keeps its timing (a disk-cache hit has none and is synthesized again when words
 * are wanted).
 */
const timings = new WeakMap<Int16Array, ChunkTiming>();

export function attachTiming(samples: Int16Array, timing: ChunkTiming): void {
  timings.set(samples, timing);
}

export function timingOf(samples: Int16Array): ChunkTiming | undefined {
  return timings.get(samples);
}

/**
 * Each word's [start, end) in the chunk's delivered samples. Token k (pads excluded) is
 * duration k + 1; its first sample in the model's output is samplesPerUnit x the durations
 * before it (the leading pad included); the trim's cut moves everything earlier. Times are
 * clamped to the audio sent (a word inside a cut edge collapses onto it). Null when the timing
 * does not fit the chunk (another token count).
 */
export function wordTimes(words: readonly PlanWord[], tokens: number, timing: ChunkTiming, samples: number): TimedWord[] | null {
  const d = timing.durations;
  if (d.length !== tokens + 2) return null;
  const prefix = new Float64Array(d.length + 1);
  for (let i = 0; i < d.length; i++) prefix[i + 1] = prefix[i]! + d[i]!;
  const at = (durIndex: number) => Math.min(samples, Math.max(0, prefix[durIndex]! * timing.samplesPerUnit - timing.cut));
  const out: TimedWord[] = [];
  for (const w of words) {
    if (!(w.start >= 0 && w.end > w.start && w.end <= tokens)) continue;
    out.push({ text: w.text, start: at(w.start + 1), end: at(w.end + 1) });
  }
  return out;
}

/** Kokoro-FastAPI's word timestamp shape, in seconds (rounded to the millisecond). */
export interface WordTimestamp {
  word: string;
  start_time: number;
  end_time: number;
}

const seconds = (samples: number, rate: number) => Math.round((samples / rate) * 1000) / 1000;

/** Chunk-relative words to the request's time line: `offset` samples delivered before the chunk. */
export function toTimestamps(words: readonly TimedWord[], offset: number, rate: number): WordTimestamp[] {
  return words.map((w) => ({ word: w.text, start_time: seconds(offset + w.start, rate), end_time: seconds(offset + w.end, rate) }));
}
