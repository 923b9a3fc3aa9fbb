// Messages between the engine's I/O thread (engine/server.ts) and its inference thread
// (engine/synth-worker.ts). Internal to one engine process.
//
// Every request carries a `seq` its replies repeat. Replies are not in request order: a plan
// runs one chunk at a time, queued behind whatever the I/O thread sent meanwhile, so planning
// a long text never holds inference up by more than one chunk.
import type { VoicePart } from './voices.js';
import type { ChunkTiming, EngineError, PlanWord } from '../protocol/engine-wire.js';
import { type Lang } from '../protocol/constants.js';

export interface WorkerConfig {
  modelsDir: string;
  modelPath: string;
  threads: number;
  /**
   * WIDE_THREADS: threads of a second session for a chunk the gateway marks `wide` (every other
   * engine idle); 0, or not above `threads`: no second session.
   */
  wideThreads?: number;
  device: string;
  upgradeLib?: string;
  /** How texts are cut into chunks (FIRST_CHUNK_TOKENS, CHUNK_RAMP); absent: the front end's defaults. */
  chunking?: { firstChunkTokens: number; ramp: boolean };
}

export type ToWorker =
  | { type: 'prepare'; seq: number; id: string; text: string; lang: Lang }
  /**
   * Stream a text's chunks: `plan-chunk` per chunk as the front end produces it, then `planned`
   * (or `error`). `whole`: whole sentences, none cut short for latency (/phonemize).
   */
  | { type: 'plan'; seq: number; id: string; text: string; lang: Lang; whole?: boolean }
  /** Stop the plan `seq` (its client left): no more `plan-chunk`, and it ends with `planned`. */
  | { type: 'cancel-plan'; seq: number }
  /** `wide`: run on the wide session when there is one (same samples, more threads). */
  | { type: 'infer'; seq: number; id: string; chunk: number; tokens: number[]; voice: readonly VoicePart[]; speed: number; wide?: boolean };

export type FromWorker =
  | { type: 'ready'; runtime: string; runtimeSource: string; device: string }
  /** The wide session is loaded and warm (after `ready`: it never delays it). */
  | { type: 'wide-ready'; threads: number }
  | { type: 'failed'; message: string }
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; message: string }
  | { type: 'prepared'; seq: number; chunks: number[][] }
  | { type: 'plan-chunk'; seq: number; index: number; tokens: number[]; text: string; words: PlanWord[]; phonemes?: string }
  | { type: 'planned'; seq: number; chunks: number; cancelled: boolean }
  /** `timing`: when the model has the durations output (models/durations.ts). */
  | { type: 'audio'; seq: number; chunk: number; samples: Int16Array; timing?: ChunkTiming; wide?: boolean }
  | { type: 'error'; seq: number; error: EngineError };
