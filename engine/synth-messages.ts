// Messages between the engine's I/O thread (engine/server.ts) and its inference thread
// (engine/synth-worker.ts). Internal to one engine process.
import type { VoicePart } from './voices.js';
import type { EngineError } from '../protocol/engine-wire.js';
import { type Lang } from '../protocol/constants.js';

export interface WorkerConfig {
  modelsDir: string;
  modelPath: string;
  threads: number;
  device: string;
  upgradeLib?: string;
}

export type ToWorker =
  | { type: 'prepare'; id: string; text: string; lang: Lang }
  | { type: 'infer'; id: string; chunk: number; tokens: number[]; voice: readonly VoicePart[]; speed: number };

export type FromWorker =
  | { type: 'ready'; runtime: string; runtimeSource: string; device: string }
  | { type: 'failed'; message: string }
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; message: string }
  | { type: 'prepared'; id: string; chunks: number[][] }
  | { type: 'audio'; id: string; chunk: number; samples: Int16Array }
  | { type: 'error'; id: string; error: EngineError };
