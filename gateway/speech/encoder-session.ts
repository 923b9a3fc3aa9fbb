// One request's encoding: the current encoder, the PCM kept to replay into a replacement, and
// the replacement policy. An encoder that dies before any byte went out is replaced (up to
// `attempts` encoders in all) and fed everything so far; once a byte went out (streaming) the
// kept PCM is dropped and a death is the request's failure, so truncation stays visible.
// Memory is bounded: the kept PCM and a whole file's output live in spools (memory up to a
// bound, then a private spill file), and an in-process encoder (wav, pcm) keeps no replay copy.
import { finished } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { abortable } from './abortable.js';
import { SpeechError } from './errors.js';
import { Spool } from './spool.js';
import type { SpillConfig } from './spill-file.js';
import { type AudioFormat, type Encoder, type EncoderFactory } from '../../audio/encode/types.js';

/** A finished whole file: its exact size, its bytes (read once), and what frees it. */
export interface WholeFile {
  size: number;
  /** Part of it went to a spill file. */
  spilled: boolean;
  stream(): Readable;
  /** Frees memory and the spill file; call once the bytes were sent or are no longer wanted. */
  dispose(): void;
}

/** Reads a whole file into one buffer (tests and small callers only: the point is not to). */
export async function readWholeFile(file: WholeFile): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of file.stream()) parts.push(b as Buffer);
  file.dispose();
  return Buffer.concat(parts);
}

/** Defaults when a caller gives no spill config: 2 MiB per buffer, the OS temp folder's private one. */
export const DEFAULT_SPILL_MEMORY_BYTES = 2 * 1024 * 1024;

/** Where streamed bytes go: a Writable, or anything shaped like one. */
export interface AudioSink {
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** Progress, readable while the request runs and after it failed (for logs and metrics). */
export interface PipelineStats {
  samples: number;
  inputTokens: number;
  bytes: number;
  encoderReplacements: number;
  /** performance.now() when the first encoded byte was handed on; null until then. */
  firstByteAt: number | null;
}

export const newStats = (): PipelineStats => ({ samples: 0, inputTokens: 0, bytes: 0, encoderReplacements: 0, firstByteAt: null });

export interface EncoderSessionOptions {
  encoders: EncoderFactory;
  format: AudioFormat;
  /** false: output is collected and returned whole by finish(). */
  streaming: boolean;
  /** Encoders tried in all (at least 1). */
  attempts: number;
  /** The request's signal: aborting it fails any pending call with its reason. */
  signal: AbortSignal;
  sink?: AudioSink;
  /** Called once, just before the first byte goes to the sink. */
  onFirstByte?: () => void;
  stats: PipelineStats;
  /** Where kept PCM and whole-file output go beyond their memory bound. */
  spill: SpillConfig;
}

const encoderFailed = () => new SpeechError('encoder_failed', 'Audio encoding failed.');

interface Handle {
  enc: Encoder;
  dead: Error | null;
  /** Settles when the output ended (resolves) or the encoder died (rejects). */
  done: Promise<void>;
  /** Output of this encoder, kept until the end when not streaming. */
  out: Spool | null;
}

export class EncoderSession {
  private current: Handle | null = null;
  private attemptsMade = 0;
  private sentAny = false;
  private ended = false;
  /** PCM for a replacement encoder; null once a byte went out (streaming), or never needed. */
  private kept: Spool | null;

  constructor(private readonly opts: EncoderSessionOptions) {
    if (opts.streaming && !opts.sink) throw new TypeError('a streaming session needs a sink');
    this.kept = new Spool(opts.spill);
  }

  /** Opens the first encoder. */
  start(): Promise<void> {
    return this.recover();
  }

  /** Feeds one chunk, replacing the encoder (with a replay that includes it) if it died. */
  async write(samples: Int16Array): Promise<void> {
    const kept = this.kept;
    if (kept && !kept.append(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength))) await abortable(kept.drained(), this.opts.signal);
    if (!(await this.feed(this.current!, samples))) await this.recover();
  }

  /** Ends the input and waits for the last byte; the whole file when not streaming. */
  async finish(): Promise<WholeFile | undefined> {
    this.ended = true;
    this.current!.enc.end();
    for (;;) {
      try {
        await abortable(this.current!.done, this.opts.signal);
        break;
      } catch (e) {
        if (this.opts.signal.aborted) throw e;
        await this.recover();
      }
    }
    this.dropKept();
    if (this.opts.streaming) return undefined;
    const h = this.current!;
    const out = h.out!;
    await abortable(out.settled(), this.opts.signal);
    const head = h.enc.header?.() ?? Buffer.alloc(0);
    h.out = null; // now the caller's
    const size = head.length + out.size;
    this.opts.stats.bytes = size;
    return { size, spilled: out.spilled, stream: () => out.stream(head), dispose: () => out.close() };
  }

  /** Stops the current encoder at once and frees what it kept; the session is unusable afterwards. */
  destroy(): void {
    this.current?.enc.destroy();
    this.current?.out?.close();
    this.dropKept();
  }

  private replaying = false;

  private dropKept(): void {
    // A replay in progress reads it to its end; recover() frees it after.
    if (!this.replaying) this.kept?.close();
    this.kept = null;
  }

  private async open(): Promise<Handle> {
    const { signal, streaming, stats } = this.opts;
    // An encoder that arrives after the client left must not outlive the request.
    const enc = await abortable(this.opts.encoders.create(this.opts.format, { streaming, deferHeader: !streaming }), signal, (late) => late.destroy());
    if (signal.aborted) {
      enc.destroy();
      throw signal.reason;
    }
    // An encoder that cannot die needs no replay copy (wav and pcm: the PCM is the body).
    if (enc.neverFails && this.kept?.size === 0) this.dropKept();
    const h: Handle = { enc, dead: null, done: Promise.resolve(), out: streaming ? null : new Spool(this.opts.spill) };
    enc.output.on('data', (buf: Buffer) => {
      if (h !== this.current || h.dead) return;
      if (!streaming) {
        // The spill file is behind: wait for the disk (the encoder, then the pipeline, wait too).
        if (h.out && !h.out.append(buf)) {
          enc.output.pause();
          void h.out.drained().then(() => enc.output.resume());
        }
        return;
      }
      if (!this.sentAny) {
        this.sentAny = true;
        this.dropKept();
        stats.firstByteAt = performance.now();
        this.opts.onFirstByte?.();
      }
      stats.bytes += buf.length;
      if (!this.opts.sink!.write(buf)) {
        enc.output.pause();
        this.opts.sink!.once('drain', () => enc.output.resume());
      }
    });
    h.done = finished(enc.output, { writable: false }).catch((e: Error) => {
      h.dead ??= e;
      throw e;
    });
    h.done.catch(() => {});
    return h;
  }

  /** false if the encoder died meanwhile. */
  private async feed(h: Handle, samples: Int16Array): Promise<boolean> {
    try {
      const wrote = Promise.race([h.enc.write(samples), h.done.then(() => Promise.reject(new Error('encoder output ended early')))]);
      await abortable(wrote, this.opts.signal);
    } catch (e) {
      if (this.opts.signal.aborted) throw e;
      h.dead ??= e as Error;
    }
    return h.dead === null;
  }

  /** Until a live encoder has had all input so far: replace the dead one, or fail. */
  private async recover(): Promise<void> {
    while (this.current === null || this.current.dead) {
      if (this.sentAny || (this.kept === null && this.current !== null)) throw encoderFailed();
      this.current?.enc.destroy();
      this.current?.out?.close();
      if (this.attemptsMade >= this.opts.attempts) throw encoderFailed();
      this.opts.stats.encoderReplacements = this.attemptsMade++;
      try {
        this.current = await this.open();
      } catch (e) {
        if (this.opts.signal.aborted) throw e;
        this.current = null; // a factory that cannot start an encoder counts as a failed attempt
        continue;
      }
      const h = this.current;
      let ok = true;
      const kept = this.kept;
      if (kept) {
        this.replaying = true;
        try {
          for await (const b of kept.read()) {
            const s = new Int16Array(b.buffer, b.byteOffset, b.length >> 1);
            if (!(ok = await this.feed(h, s))) break;
          }
        } finally {
          this.replaying = false;
          if (this.kept !== kept) kept.close(); // dropped meanwhile (a first byte went out)
        }
      }
      if (ok && this.ended) h.enc.end();
    }
  }
}
