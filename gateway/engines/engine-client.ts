// The gateway's client for one engine (local or remote): undici over HTTP, frames decoded
// as they arrive, and two watchdogs on every stream: no bytes at all for `stallMs` (a stopped
// or wedged process: engines send a heartbeat every second), and one chunk taking longer
// than `chunkTimeoutMs` (a hung inference, e.g. a stuck GPU).
import { Pool, type Dispatcher } from 'undici';
import {
  FrameDecoder, FrameKind, type EngineError, type EngineHealth, type Frame, type InferRequest, type PhonemePlanRequest,
  type PhonemizeRequest, type PhonemizeResponse, type PlanRequest, type SynthesizeRequest,
} from '../../protocol/engine-wire.js';

export type FailureReason =
  | 'connect' // could not reach the engine
  | 'reset' // the connection broke mid-stream (engine died, network)
  | 'stall' // no bytes for stallMs
  | 'chunk_timeout' // one chunk ran past its limit
  | 'truncated' // the stream ended without an END frame
  | 'engine_error' // the engine sent an ERROR frame or an error status
  | 'protocol'; // frames out of order or malformed

/** Why one attempt on one engine failed. `engineError` is set when the engine said why. */
export class EngineFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
    readonly engineError?: EngineError,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'EngineFailure';
  }
}

export interface StreamOptions {
  signal: AbortSignal;
  stallMs: number;
  chunkTimeoutMs: number;
}

export interface EngineClientOptions {
  connections?: number;
  /** The engine's Bearer token: sent on every request this client makes (see withAuthorization). */
  token?: string;
}

/**
 * An undici interceptor that adds `Authorization: Bearer <token>` to every request of the
 * dispatcher it is composed onto, whatever the route: one place, so no call can forget it.
 */
export function withAuthorization(token: string): Dispatcher.DispatcherComposeInterceptor {
  const value = `Bearer ${token}`;
  return (dispatch) => (opts, handler) => {
    const h = opts.headers;
    let headers: Dispatcher.DispatchOptions['headers'];
    if (Array.isArray(h)) {
      const kept: string[] = [];
      for (let i = 0; i + 1 < h.length; i += 2) if (String(h[i]).toLowerCase() !== 'authorization') kept.push(String(h[i]), String(h[i + 1]));
      headers = [...kept, 'authorization', value];
    } else {
      const kept: Record<string, string | string[] | undefined> = {};
      for (const [k, v] of Object.entries((h ?? {}) as Record<string, string | string[] | undefined>)) if (k.toLowerCase() !== 'authorization') kept[k] = v;
      headers = { ...kept, authorization: value };
    }
    return dispatch({ ...opts, headers }, handler);
  };
}

export class EngineClient {
  private readonly pool: Pool;

  constructor(readonly origin: string, connectionsOrOptions: number | EngineClientOptions = 16) {
    const o = typeof connectionsOrOptions === 'number' ? { connections: connectionsOrOptions } : connectionsOrOptions;
    const pool = new Pool(origin, { connections: o.connections ?? 16, keepAliveTimeout: 10_000, connectTimeout: 2_000 });
    // compose() returns the same pool behind a proxy whose dispatch adds the header.
    this.pool = o.token ? (pool.compose(withAuthorization(o.token)) as unknown as Pool) : pool;
  }

  async health(timeoutMs: number): Promise<EngineHealth> {
    const res = await this.pool.request({
      method: 'GET', path: '/health', headersTimeout: timeoutMs, bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`health answered ${res.statusCode}`);
    }
    return (await res.body.json()) as EngineHealth;
  }

  /** Frames of one synthesis; throws EngineFailure. END and ERROR frames end the iteration. */
  synthesize(req: SynthesizeRequest, opts: StreamOptions): AsyncGenerator<Frame> {
    return this.stream('/synthesize', req, opts);
  }

  /** A request's plan: PLAN frames, then PLANNED (which ends the iteration); throws EngineFailure. */
  plan(req: PlanRequest | PhonemePlanRequest, opts: StreamOptions): AsyncGenerator<Frame> {
    return this.stream('/plan', req, opts);
  }

  /**
   * A text's phonemes and token ids (one JSON answer, no frames); throws EngineFailure
   * ('engine_error' with the engine's reason, 'connect', 'reset', or 'stall' past `timeoutMs`).
   */
  async phonemize(req: PhonemizeRequest, opts: { signal: AbortSignal; timeoutMs: number }): Promise<PhonemizeResponse> {
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    let res;
    try {
      res = await this.pool.request({
        method: 'POST', path: '/phonemize', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req),
        signal: AbortSignal.any([opts.signal, timeout]), headersTimeout: 0, bodyTimeout: 0,
      });
    } catch (err) {
      if (opts.signal.aborted) throw opts.signal.reason;
      if (timeout.aborted) throw new EngineFailure('stall', `no phonemes from engine within ${opts.timeoutMs} ms`);
      throw new EngineFailure('connect', `engine unreachable: ${(err as Error).message}`);
    }
    let body: unknown;
    try {
      body = await res.body.json();
    } catch (err) {
      if (opts.signal.aborted) throw opts.signal.reason;
      if (timeout.aborted) throw new EngineFailure('stall', `no phonemes from engine within ${opts.timeoutMs} ms`);
      throw new EngineFailure(res.statusCode === 200 ? 'protocol' : 'engine_error', `engine answered ${res.statusCode} without JSON: ${(err as Error).message}`, undefined, res.statusCode);
    }
    if (res.statusCode !== 200) {
      const error = body as EngineError;
      throw new EngineFailure('engine_error', error?.message ?? `engine answered ${res.statusCode}`, error, res.statusCode);
    }
    const r = body as PhonemizeResponse;
    if (typeof r?.phonemes !== 'string' || !Array.isArray(r.tokens)) throw new EngineFailure('protocol', 'malformed /phonemize answer');
    return r;
  }

  /** Audio for planned chunks (token ids): CHUNK, AUDIO, HEARTBEAT, then END; throws EngineFailure. */
  infer(req: InferRequest, opts: StreamOptions): AsyncGenerator<Frame> {
    return this.stream('/infer', req, opts);
  }

  private async *stream(path: string, req: object, opts: StreamOptions): AsyncGenerator<Frame> {
    const local = new AbortController();
    let failure: EngineFailure | null = null;
    let completed = false;
    const fail = (f: EngineFailure) => {
      failure ??= f;
      local.abort(f);
    };
    const onOuterAbort = () => local.abort(opts.signal.reason);
    opts.signal.addEventListener('abort', onOuterAbort, { once: true });
    let stallTimer: NodeJS.Timeout | undefined;
    let chunkTimer: NodeJS.Timeout | undefined;
    const armStall = () => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => fail(new EngineFailure('stall', `no progress from engine for ${opts.stallMs} ms`)), opts.stallMs);
    };

    try {
      armStall();
      let res;
      try {
        res = await this.pool.request({
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(req),
          signal: local.signal,
          headersTimeout: 0,
          bodyTimeout: 0,
        });
      } catch (err) {
        if (opts.signal.aborted) throw opts.signal.reason;
        throw failure ?? new EngineFailure('connect', `engine unreachable: ${(err as Error).message}`);
      }
      if (res.statusCode !== 200) {
        let error: EngineError | undefined;
        try {
          error = (await res.body.json()) as EngineError;
        } catch {
          /* not JSON: keep the status */
        }
        throw new EngineFailure('engine_error', error?.message ?? `engine answered ${res.statusCode}`, error, res.statusCode);
      }

      const decoder = new FrameDecoder();
      try {
        for await (const data of res.body) {
          armStall();
          let frames: Frame[];
          try {
            frames = decoder.push(data as Buffer);
          } catch (err) {
            throw new EngineFailure('protocol', (err as Error).message);
          }
          for (const frame of frames) {
            if (frame.kind === FrameKind.CHUNK) {
              clearTimeout(chunkTimer);
              chunkTimer = setTimeout(
                () => fail(new EngineFailure('chunk_timeout', `chunk ${frame.chunk} ran past ${opts.chunkTimeoutMs} ms`)),
                opts.chunkTimeoutMs,
              );
            } else if (frame.kind === FrameKind.AUDIO) {
              clearTimeout(chunkTimer);
            }
            if (frame.kind === FrameKind.ERROR) {
              throw new EngineFailure('engine_error', frame.error.message, frame.error);
            }
            if (frame.kind === FrameKind.END || frame.kind === FrameKind.PLANNED) completed = true;
            yield frame;
            if (completed) return;
          }
        }
      } catch (err) {
        if (err instanceof EngineFailure) throw err;
        if (opts.signal.aborted) throw opts.signal.reason;
        throw failure ?? new EngineFailure('reset', `engine stream broke: ${(err as Error).message}`);
      }
      if (failure) throw failure;
      throw new EngineFailure('truncated', 'engine stream ended without an end frame');
    } finally {
      clearTimeout(stallTimer);
      clearTimeout(chunkTimer);
      opts.signal.removeEventListener('abort', onOuterAbort);
      // Leaving early (consumer stopped, failure): drop the connection so the engine stops too.
      if (!completed && !local.signal.aborted) local.abort(new Error('stream closed'));
    }
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
