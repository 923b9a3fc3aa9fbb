// The speech path's contracts: what the HTTP front hands in (a job), what the engine pool
// yields (events), and admission's slots. Engine wire types live in protocol/engine-wire.ts.
import type { AudioFormat } from '../../audio/encode/types.js';
import type { Lang } from '../../protocol/constants.js';
import type { TimedWord } from '../captions/timing.js';


/** What the front asks the engine pool for, after validation and voice mapping. */
export interface SpeechJob {
  requestId: string;
  text: string;
  /** A Kokoro voice name or mix, already mapped from OpenAI names and checked. */
  voice: string;
  speed: number;
  lang?: Lang;
  /** Gain on the samples, applied by the gateway before the encoder (default 1). */
  volume?: number;
  /** Word timestamps wanted: each audio event carries its chunk's words (gateway/captions). */
  timestamps?: boolean;
  /**
   * Kokoro phonemes to speak instead of `text` (/dev/generate_from_phonemes): the plan is made
   * from them (PhonemePlanRequest), no G2P. `text` then holds the same string, for logs.
   */
  phonemes?: string;
}

export type SpeechEvent =
  /** One whole chunk of s16le mono 24 kHz audio, in order, each exactly once. */
  | { type: 'audio'; chunk: number; samples: Int16Array; words?: TimedWord[] }
  | { type: 'end'; chunks: number; samples: number; inputTokens: number };

/**
 * Turns a job into audio, hiding engine failures (it resumes elsewhere).
 * The iterable throws a SpeechError when the job cannot be completed; aborting the signal
 * stops the engine work at once.
 */
export interface SpeechSource {
  synthesize(job: SpeechJob, signal: AbortSignal): AsyncIterable<SpeechEvent>;
}

/** Admission hands out slots; release exactly once. */
export type Release = () => void;
export interface Admission {
  /** Resolves with a slot, or rejects with SpeechError 'busy' (queue full / waited too long). */
  acquire(format: AudioFormat, signal: AbortSignal): Promise<Release>;
}
