// One speech request from admission to the last encoded byte, independent of HTTP:
//   admission.acquire -> encoders.create -> source PCM into the encoder -> encoded bytes out.
// An encoder that dies before any byte left is replaced and fed the PCM kept so far; after
// that its death is the request's failure (the caller cuts the connection, so truncation is
// visible). The admission slot is released exactly once and the encoder never outlives the call.
import { finished } from 'node:stream/promises';
import { ApiError } from '../errors.js';
import type { Admission, SpeechJob, SpeechSource } from '../types.js';
import { type AudioFormat, type Encoder, type EncoderFactory } from '../../audio/encode/types.js';

export interface PipelineDeps {
  source: SpeechSource;
  admission: Admission;
  encoders: EncoderFactory;
  /** Encoders tried in all, when one dies before the first byte went out (at least 1). */
  encoderAttempts: number;
}

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

export interface PipelineRequest {
  job: SpeechJob;
  format: AudioFormat;
  /** false: the whole file is produced at once and returned in `body`. */
  streaming: boolean;
  signal: AbortSignal;
  /** Receives encoded bytes as they come (streaming only). */
  sink?: AudioSink;
  /** Called once, just before the first byte goes to the sink. */
  onFirstByte?: () => void;
  stats?: PipelineStats;
}

export const newStats = (): PipelineStats => ({ samples: 0, inputTokens: 0, bytes: 0, encoderReplacements: 0, firstByteAt: null });

/** The encoder failed after bytes went out, or every encoder we tried failed. */
export const encoderFailed = () => new ApiError(500, 'Audio encoding failed.', 'server_error', null, 'encoder_failed');
const synthesisCutShort = () => new ApiError(500, 'Speech synthesis ended early.', 'server_error', null, 'synthesis_incomplete');

export class ClientGoneError extends Error {
  constructor() {
    super('client went away');
    this.name = 'AbortError';
  }
}

interface Handle {
  enc: Encoder;
  dead: Error | null;
  /** Settles when the output ended (resolves) or the encoder died (rejects). */
  done: Promise<void>;
  /** Output of this encoder, kept until the end when not streaming. */
  parts: Buffer[];
}

/** Runs the request; resolves with the whole file when not streaming, else with undefined. */
export async function runSpeechPipeline(deps: PipelineDeps, req: PipelineRequest): Promise<Buffer | undefined> {
  const { signal, streaming, format } = req;
  const stats = req.stats ?? newStats();
  if (streaming && !req.sink) throw new TypeError('a streaming pipeline needs a sink');

  // Rejects as soon as the client is gone, so no await below can outlive it.
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = () => reject(new ClientGoneError());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, aborted]);

  // Our own controller: a failed request stops its engine work too, not only a client abort.
  const work = new AbortController();
  const stopWork = () => work.abort();
  signal.addEventListener('abort', stopWork, { once: true });

  let release;
  const acquiring = deps.admission.acquire(format, work.signal);
  try {
    release = await guard(acquiring);
  } catch (e) {
    signal.removeEventListener('abort', stopWork);
    // A slot granted after we gave up goes straight back.
    acquiring.then((r) => r(), () => {});
    throw e;
  }
  let released = false;
  const releaseOnce = () => {
    if (!released) {
      released = true;
      release();
    }
  };

  let current: Handle | null = null;
  let sentAny = false;
  let inputEnded = false;
  let succeeded = false;
  // PCM kept for a replacement encoder; dropped once a byte went out (streaming).
  let kept: Int16Array[] | null = [];
  const killCurrent = () => current?.enc.destroy();
  signal.addEventListener('abort', killCurrent, { once: true });
  const iterator = deps.source.synthesize(req.job, work.signal)[Symbol.asyncIterator]();

  const open = async (): Promise<Handle> => {
    const creating = deps.encoders.create(format, { streaming });
    let enc: Encoder;
    try {
      enc = await guard(creating);
    } catch (e) {
      // An encoder that arrives after the client left must not outlive the request.
      creating.then((late) => late.destroy(), () => {});
      throw e;
    }
    if (signal.aborted) {
      enc.destroy();
      throw new ClientGoneError();
    }
    const h: Handle = { enc, dead: null, done: Promise.resolve(), parts: [] };
    enc.output.on('data', (buf: Buffer) => {
      if (h !== current || h.dead) return;
      if (!streaming) {
        h.parts.push(buf);
        return;
      }
      if (!sentAny) {
        sentAny = true;
        kept = null;
        stats.firstByteAt = performance.now();
        req.onFirstByte?.();
      }
      stats.bytes += buf.length;
      if (!req.sink!.write(buf)) {
        enc.output.pause();
        req.sink!.once('drain', () => enc.output.resume());
      }
    });
    h.done = finished(enc.output, { writable: false }).catch((e: Error) => {
      h.dead ??= e;
      throw e;
    });
    h.done.catch(() => {});
    return h;
  };

  // Feeds one chunk to the current encoder; false if the encoder died meanwhile.
  const feed = async (h: Handle, samples: Int16Array): Promise<boolean> => {
    try {
      await guard(Promise.race([h.enc.write(samples), h.done.then(() => Promise.reject(new Error('encoder output ended early')))]));
    } catch (e) {
      if (e instanceof ClientGoneError) throw e;
      h.dead ??= e as Error;
    }
    return h.dead === null;
  };

  // Replaces a dead encoder while nothing went out: a fresh one gets all PCM so far.
  let attempts = 0;
  const recover = async (): Promise<void> => {
    while (current === null || current.dead) {
      if (sentAny || kept === null) throw encoderFailed();
      current?.enc.destroy();
      if (attempts >= deps.encoderAttempts) throw encoderFailed();
      stats.encoderReplacements = attempts++;
      try {
        current = await open();
      } catch (e) {
        if (e instanceof ClientGoneError) throw e;
        current = null; // a factory that cannot start an encoder counts as a failed attempt
        continue;
      }
      const h = current;
      let ok = true;
      for (const s of kept) if (!(ok = await feed(h, s))) break;
      if (ok && inputEnded) h.enc.end();
    }
  };

  try {
    await recover(); // opens the first encoder
    for (;;) {
      const r = await guard(iterator.next());
      if (r.done) break;
      const ev = r.value;
      if (ev.type === 'audio') {
        if (ev.samples.length === 0) continue;
        stats.samples += ev.samples.length;
        kept?.push(ev.samples);
        if (!(await feed(current!, ev.samples))) await recover(); // the replay included this chunk
      } else if (ev.type === 'end') {
        stats.inputTokens = ev.inputTokens;
        inputEnded = true;
        break;
      }
    }
    if (!inputEnded) throw synthesisCutShort();
    current!.enc.end();
    for (;;) {
      try {
        await guard(current!.done);
        break;
      } catch (e) {
        if (e instanceof ClientGoneError) throw e;
        await recover();
      }
    }
    succeeded = true;
    if (streaming) return undefined;
    const body = Buffer.concat(current!.parts);
    stats.bytes = body.length;
    return body;
  } finally {
    signal.removeEventListener('abort', killCurrent);
    signal.removeEventListener('abort', stopWork);
    if (!succeeded) {
      (current as Handle | null)?.enc.destroy();
      work.abort();
    }
    // Lets the source clean up; on failure it also stops engine work we no longer want.
    void iterator.return?.()?.catch(() => {});
    releaseOnce();
  }
}
