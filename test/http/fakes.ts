// Test doubles for the HTTP front: a deterministic sine SpeechSource, a counting Admission,
// and a pass-through encoder (s16le in = bytes out) whose deaths can be scripted.
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpeechError } from '../../gateway/speech/errors.js';
import type { Admission, Release, SpeechEvent, SpeechJob, SpeechSource } from '../../gateway/speech/types.js';
import { type AudioFormat, type Encoder, type EncoderFactory, type EncoderOptions } from '../../audio/encode/types.js';

export const CHUNK_SAMPLES = 2400; // 100 ms at 24 kHz

/** Chunk k of the fake audio: a sine whose pitch depends on k, so order mix-ups show. */
export function sineChunk(k: number, n = CHUNK_SAMPLES): Int16Array {
  const out = new Int16Array(n);
  const hz = 200 + 50 * k;
  for (let i = 0; i < n; i++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * (k * n + i)) / 24000));
  return out;
}

/** The bytes a pass-through encoder must produce for `chunks` chunks. */
export function expectedPcm(chunks: number): Buffer {
  return Buffer.concat(Array.from({ length: chunks }, (_, k) => Buffer.from(sineChunk(k).buffer)));
}

export interface FakeSourceOptions {
  chunks?: number;
  /** Delay before each chunk, ms. */
  delayMs?: number;
  /** Throw this after `failAfter` chunks were sent. */
  failAfter?: number;
  failWith?: Error;
  /** Stop (return) after this many chunks without the end event. */
  cutAfter?: number;
  /** After this many chunks, wait until aborted. */
  hangAfter?: number;
}

export class FakeSource implements SpeechSource {
  readonly jobs: SpeechJob[] = [];
  readonly signals: AbortSignal[] = [];
  /** Resolves when a job starts hanging (hangAfter reached). */
  hanging!: Promise<void>;
  private markHanging!: () => void;

  constructor(public opts: FakeSourceOptions = {}) {
    this.hanging = new Promise((r) => (this.markHanging = r));
  }

  async *synthesize(job: SpeechJob, signal: AbortSignal): AsyncIterable<SpeechEvent> {
    this.jobs.push(job);
    this.signals.push(signal);
    const { chunks = 5, delayMs = 0 } = this.opts;
    let samples = 0;
    for (let k = 0; k < chunks; k++) {
      if (this.opts.failAfter === k) throw this.opts.failWith ?? new SpeechError('unavailable', 'engine failed');
      if (this.opts.cutAfter === k) return;
      if (this.opts.hangAfter === k) {
        this.markHanging();
        await new Promise<void>((_, reject) => {
          const stop = () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
          if (signal.aborted) stop();
          else signal.addEventListener('abort', stop, { once: true });
        });
      }
      if (delayMs > 0) await sleep(delayMs, undefined, { signal });
      if (signal.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      const s = sineChunk(k);
      samples += s.length;
      yield { type: 'audio', chunk: k, samples: s };
    }
    yield { type: 'end', chunks, samples, inputTokens: job.text.length };
  }
}

export class FakeAdmission implements Admission {
  acquired = 0;
  released = 0;
  doubleRelease = 0;
  constructor(public reject?: Error) {}
  async acquire(_format: AudioFormat, _signal: AbortSignal): Promise<Release> {
    if (this.reject) throw this.reject;
    this.acquired++;
    let done = false;
    return () => {
      if (done) this.doubleRelease++;
      done = true;
      this.released++;
    };
  }
}

export interface EncoderPlan {
  /** Die (output error) when this many writes were accepted, before emitting them. */
  dieAfterWrites?: number;
  /** Hold output until this many writes arrived (an encoder's start-up latency). */
  holdWrites?: number;
}

export class FakeEncoder implements Encoder {
  readonly output = new PassThrough();
  readonly pid = undefined;
  destroyed = false;
  writes = 0;
  private held: Buffer[] = [];

  constructor(readonly format: AudioFormat, readonly options: EncoderOptions, private plan: EncoderPlan) {}

  async write(samples: Int16Array): Promise<void> {
    if (this.destroyed) throw new Error('encoder destroyed');
    this.writes++;
    const buf = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    if (this.plan.dieAfterWrites !== undefined && this.writes > this.plan.dieAfterWrites) {
      this.output.destroy(new Error('encoder crashed'));
      throw new Error('encoder crashed');
    }
    if (this.plan.holdWrites !== undefined && this.writes <= this.plan.holdWrites) {
      this.held.push(buf);
      if (this.writes < this.plan.holdWrites) return;
      this.output.write(Buffer.concat(this.held));
      this.held = [];
      return;
    }
    this.output.write(buf);
  }

  end(): void {
    if (this.held.length > 0) this.output.write(Buffer.concat(this.held));
    this.output.end();
  }

  destroy(): void {
    this.destroyed = true;
    this.output.destroy();
  }
}

export class FakeEncoders implements EncoderFactory {
  readonly created: FakeEncoder[] = [];
  constructor(public plans: EncoderPlan[] = []) {}
  async create(format: AudioFormat, options: EncoderOptions): Promise<Encoder> {
    const e = new FakeEncoder(format, options, this.plans[this.created.length] ?? {});
    this.created.push(e);
    return e;
  }
}
