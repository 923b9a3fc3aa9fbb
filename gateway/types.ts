// Types shared by the gateway's modules: the HTTP front, admission, the engine pool and
// the encoders. Engine wire types live in engine/protocol.ts.
import type { Readable } from 'node:stream';
import type { Lang } from '../engine/protocol.js';

export const AUDIO_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
export type AudioFormat = (typeof AUDIO_FORMATS)[number];

/** What the front asks the engine pool for, after validation and voice mapping. */
export interface SpeechJob {
  requestId: string;
  text: string;
  /** A Kokoro voice name or mix, already mapped from OpenAI names and checked. */
  voice: string;
  speed: number;
  lang?: Lang;
}

export type SpeechEvent =
  /** One whole chunk of s16le mono 24 kHz audio, in order, each exactly once. */
  | { type: 'audio'; chunk: number; samples: Int16Array }
  | { type: 'end'; chunks: number; samples: number; inputTokens: number };

/**
 * Turns a job into audio, hiding engine failures (it resumes elsewhere).
 * The iterable throws an ApiError when the job cannot be completed; aborting the signal
 * stops the engine work at once.
 */
export interface SpeechSource {
  synthesize(job: SpeechJob, signal: AbortSignal): AsyncIterable<SpeechEvent>;
}

export interface EncoderOptions {
  /** false: the whole file is produced at end() with exact sizes (a wav header with real lengths). */
  streaming: boolean;
}

/** One request's encoder: nothing in it is ever shared with another request. */
export interface Encoder {
  readonly format: AudioFormat;
  /** Encoded bytes; ends once the container is complete. Errors if the encoder dies. */
  readonly output: Readable;
  /** PID of the encoder process, if it is one (wav and pcm are written in JS). */
  readonly pid: number | undefined;
  /** Feed one whole chunk of s16le mono 24 kHz samples; resolves when accepted. */
  write(samples: Int16Array): Promise<void>;
  /** No more input: finish the container. */
  end(): void;
  /** Stop at once and release everything (client gone, request failed). */
  destroy(): void;
}

export interface EncoderFactory {
  create(format: AudioFormat, options: EncoderOptions): Promise<Encoder>;
}

/** Admission hands out slots; release exactly once. */
export type Release = () => void;
export interface Admission {
  /** Resolves with a slot, or rejects with ApiError 429 (queue full / waited too long) or 503. */
  acquire(format: AudioFormat, signal: AbortSignal): Promise<Release>;
}
