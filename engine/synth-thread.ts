// The I/O thread's handle on the inference thread: starts it and turns its replies into
// promises, matched by sequence number (a plan's replies interleave with inference's).
import { Worker } from 'node:worker_threads';
import type { ChunkTiming, EngineError, PlanWord } from '../protocol/engine-wire.js';
import type { FromWorker, ToWorker, WorkerConfig } from './synth-messages.js';
import type { VoicePart } from './voices.js';
import { type Lang } from '../protocol/constants.js';

export class EngineJobError extends Error {
  constructor(readonly error: EngineError) {
    super(error.message);
  }
}

type Waiter = { resolve: (msg: FromWorker) => void; reject: (err: Error) => void; onChunk?: (c: PlanChunk) => void };

export interface ThreadInfo {
  runtime: string;
  runtimeSource: string;
  device: string;
}

export interface PlanChunk {
  index: number;
  tokens: number[];
  text: string;
  words: PlanWord[];
  /** With `whole` plans only: the chunk's phonemes. */
  phonemes?: string;
}

/** A plan in progress: its chunks come to `onChunk`; `done` resolves with the chunk count. */
export interface PlanHandle {
  done: Promise<{ chunks: number; cancelled: boolean }>;
  cancel(): void;
}

export class SynthThread {
  private readonly worker: Worker;
  private readonly waiters = new Map<number, Waiter>();
  private seq = 0;
  /** Set by terminate(): the thread's exit is then expected, not a loss. */
  private terminating = false;
  readonly ready: Promise<ThreadInfo>;
  /** Threads of the wide session once it is loaded; 0 until then, or when there is none. */
  wideThreads = 0;

  constructor(
    config: WorkerConfig,
    log: (level: 'debug' | 'info' | 'warn', msg: string) => void,
    onExit: (err: Error) => void,
  ) {
    this.worker = new Worker(new URL('./synth-worker.js', import.meta.url), { workerData: config });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (msg: FromWorker) => {
        switch (msg.type) {
          case 'ready':
            resolve({ runtime: msg.runtime, runtimeSource: msg.runtimeSource, device: msg.device });
            break;
          case 'wide-ready':
            this.wideThreads = msg.threads;
            break;
          case 'failed':
            reject(new Error(msg.message));
            break;
          case 'log':
            log(msg.level, msg.message);
            break;
          case 'plan-chunk':
            this.waiters.get(msg.seq)?.onChunk?.({ index: msg.index, tokens: msg.tokens, text: msg.text, words: msg.words, phonemes: msg.phonemes });
            break;
          default: {
            const w = this.waiters.get(msg.seq);
            this.waiters.delete(msg.seq);
            w?.resolve(msg);
          }
        }
      });
    });
    this.worker.on('error', (err) => onExit(err));
    this.worker.on('exit', (code) => {
      if (!this.terminating) onExit(new Error(`inference thread exited with code ${code}`));
    });
  }

  private call(msg: ToWorker, onChunk?: (c: PlanChunk) => void): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      this.waiters.set((msg as { seq: number }).seq, { resolve, reject, onChunk });
      this.worker.postMessage(msg);
    });
  }

  async prepare(id: string, text: string, lang: Lang): Promise<number[][]> {
    const r = await this.call({ type: 'prepare', seq: ++this.seq, id, text, lang });
    if (r.type === 'error') throw new EngineJobError(r.error);
    if (r.type !== 'prepared') throw new Error(`unexpected reply ${r.type}`);
    return r.chunks;
  }

  /**
   * Plans `text`: `onChunk` gets each chunk as the front end produces it. `whole`: whole
   * sentences with their phonemes (for /phonemize), not the latency-first cut.
   */
  plan(id: string, text: string, lang: Lang, onChunk: (c: PlanChunk) => void, opts: { whole?: boolean } = {}): PlanHandle {
    const seq = ++this.seq;
    const done = this.call({ type: 'plan', seq, id, text, lang, ...(opts.whole ? { whole: true } : {}) }, onChunk).then((r) => {
      if (r.type === 'error') throw new EngineJobError(r.error);
      if (r.type !== 'planned') throw new Error(`unexpected reply ${r.type}`);
      return { chunks: r.chunks, cancelled: r.cancelled };
    });
    return { done, cancel: () => this.worker.postMessage({ type: 'cancel-plan', seq } satisfies ToWorker) };
  }

  /** `voice`: the parts the I/O thread validated, so the inference thread parses nothing. */
  async infer(id: string, chunk: number, tokens: number[], voice: readonly VoicePart[], speed: number): Promise<Int16Array> {
    return (await this.inferTimed(id, chunk, tokens, voice, speed)).samples;
  }

  /**
   * infer(), with the model's timing of the chunk when it has the durations output. `wide`: on
   * the wide session if loaded (the same samples, sooner, when the other cores are idle).
   */
  async inferTimed(id: string, chunk: number, tokens: number[], voice: readonly VoicePart[], speed: number, wide = false): Promise<{ samples: Int16Array; timing?: ChunkTiming; wide?: boolean }> {
    const r = await this.call({ type: 'infer', seq: ++this.seq, id, chunk, tokens, voice, speed, ...(wide ? { wide } : {}) });
    if (r.type === 'error') throw new EngineJobError(r.error);
    if (r.type !== 'audio') throw new Error(`unexpected reply ${r.type}`);
    return { samples: r.samples, ...(r.timing ? { timing: r.timing } : {}), ...(r.wide ? { wide: true } : {}) };
  }

  terminate(): Promise<number> {
    this.terminating = true;
    return this.worker.terminate();
  }
}
