// The baseline: a text's chunks (token ids + style vectors) fed straight to session.run,
// one after another, with nothing else around it. Used in-process (the upgraded runtime) and
// by direct-child.ts (the stock runtime, which cannot share a process with the upgraded one:
// both libraries are libonnxruntime.so.1, and the loader would hand the second binding the
// first library). ort_python.py reads the same input file.
import type { KokoroModel } from '../../engine/inference.js';
import { SAMPLE_RATE } from '../../protocol/constants.js';

export interface ChunkInput {
  tokens: number[];
  style: number[];
}

export interface TextInput {
  name: string;
  chunks: ChunkInput[];
}

/** The file handed to a baseline child (node stock runtime, or Python onnxruntime). */
export interface DirectJob {
  modelPath: string;
  threads: number;
  /** Repetitions per text name. */
  reps: Record<string, number>;
  texts: TextInput[];
}

export interface DirectRun {
  /** session.run wall time per chunk, ms. */
  chunkMs: number[];
  samples: number;
}

export interface DirectOutput {
  runtime: string;
  /** VmHWM of the process that ran it (children only). */
  peakRssBytes?: number;
  texts: { name: string; runs: DirectRun[] }[];
}

/** Runs every chunk of one text once; the first chunk's time is the first-chunk latency. */
export async function runText(model: KokoroModel, text: TextInput, speed = 1): Promise<DirectRun> {
  const chunkMs: number[] = [];
  let samples = 0;
  for (const c of text.chunks) {
    const style = Float32Array.from(c.style);
    const t0 = performance.now();
    const audio = await model.run(c.tokens, style, speed);
    chunkMs.push(performance.now() - t0);
    samples += audio.length;
  }
  return { chunkMs, samples };
}

/** One warm-up run: the first run allocates the arena and is several times slower (the engine does the same). */
export async function warmUp(model: KokoroModel, text: TextInput): Promise<void> {
  const c = text.chunks[0];
  if (c) await model.run(c.tokens, Float32Array.from(c.style), 1);
}

export interface DirectSummary {
  audioSeconds: number;
  /** Audio seconds per wall second, from the median run's total. */
  speed: number;
  firstChunkMs: number;
  chunkP50Ms: number;
  chunkMaxMs: number;
}

export const audioSeconds = (samples: number): number => samples / SAMPLE_RATE;
