// The engine pool as a SpeechSource: routes each request to the ready engine with the fewest
// requests in flight and, when that engine dies, stalls or fails, resumes the request on
// another ready engine from the first chunk not yet received whole. Every engine splits the
// same text into the same chunks, so the stream the caller sees is seamless. Attempts per
// request are bounded and a retry budget stops a retry storm.
import { FrameKind, type SynthesizeRequest } from '../../protocol/engine-wire.js';
import { ApiError, badRequest, unavailable } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { SpeechEvent, SpeechJob, SpeechSource } from '../types.js';
import type { SupervisionConfig } from './config.js';
import { EngineFailure } from './engine-client.js';
import { RetryBudget } from './retry-budget.js';
import type { Engine, Supervisor } from './supervisor.js';

export interface PoolLog {
  (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

export class EnginePool implements SpeechSource {
  private readonly budget: RetryBudget;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly config: SupervisionConfig,
    private readonly log: PoolLog,
    private readonly metrics?: GatewayMetrics,
  ) {
    this.budget = new RetryBudget(config.retryBudgetRatio, config.retryBudgetMin, 60_000);
  }

  /** The least-loaded ready engine with room, or null; `avoid` (the engine that just failed) only as a last resort. */
  private pick(avoid?: Engine): Engine | null {
    const open = this.supervisor.engines.filter((e) => e.routable && e.inFlight < e.spec.maxInFlight);
    const preferred = open.filter((e) => e !== avoid);
    const candidates = preferred.length > 0 ? preferred : open;
    return candidates.reduce<Engine | null>((best, e) => (best === null || e.inFlight < best.inFlight ? e : best), null);
  }

  /**
   * An engine with room. Waits while engines are ready but full (admission bounds how many
   * wait); 503 only when no engine at all has been ready for engineWaitMs.
   */
  private async acquireEngine(signal: AbortSignal, avoid?: Engine): Promise<Engine> {
    let deadline = Date.now() + this.config.engineWaitMs;
    for (;;) {
      const e = this.pick(avoid);
      if (e) return e;
      if (this.supervisor.engines.some((x) => x.routable)) deadline = Date.now() + this.config.engineWaitMs;
      const left = deadline - Date.now();
      if (left <= 0) {
        this.metrics?.admissionRejections.inc({ reason: 'no_engine' });
        throw unavailable('No speech engine is ready; try again shortly.', Math.max(1, Math.ceil(this.config.restartBaseMs / 1000) + 2));
      }
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          clearTimeout(t);
          this.supervisor.off('change', done);
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          done();
          reject(signal.reason);
        };
        // Also poll: an engine can gain room (inFlight drops) without a state change.
        const t = setTimeout(done, Math.min(left, 100));
        this.supervisor.on('change', done);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  async *synthesize(job: SpeechJob, signal: AbortSignal): AsyncGenerator<SpeechEvent> {
    this.budget.noteRequest();
    let next = 0; // first chunk not yet received whole
    let samples = 0;
    let last: Engine | undefined;
    // MAX_ATTEMPTS bounds attempts in a row that brought no new chunk: a long request that
    // meets several unrelated engine failures but advances each time is not given up on
    // (up to a hard cap of 4x), while one that keeps failing at the same chunk is.
    let fruitless = 0;
    for (let attempt = 1; ; attempt++) {
      const startedAt = next;
      const engine = await this.acquireEngine(signal, last);
      last = engine;
      engine.inFlight++;
      const req: SynthesizeRequest = { text: job.text, voice: job.voice, speed: job.speed, lang: job.lang, fromChunk: next };
      try {
        for await (const frame of engine.client!.synthesize(req, {
          signal,
          stallMs: this.config.stallTimeoutMs,
          chunkTimeoutMs: this.config.chunkTimeoutMs,
        })) {
          if (frame.kind === FrameKind.AUDIO) {
            if (frame.chunk !== next) throw new EngineFailure('protocol', `expected chunk ${next}, got ${frame.chunk}`);
            next++;
            samples += frame.samples.length;
            yield { type: 'audio', chunk: frame.chunk, samples: frame.samples };
          } else if (frame.kind === FrameKind.END) {
            if (frame.chunks !== next) throw new EngineFailure('protocol', `end after ${next} of ${frame.chunks} chunks`);
            yield { type: 'end', chunks: frame.chunks, samples, inputTokens: frame.inputTokens };
            return;
          }
        }
        throw new EngineFailure('truncated', 'engine stream ended early');
      } catch (err) {
        if (signal.aborted) throw err;
        if (!(err instanceof EngineFailure)) throw err;
        const fatal = this.requestError(err);
        if (fatal) throw fatal;
        this.onEngineFailure(engine, err);
        this.metrics?.retries.inc({ reason: err.reason });
        fruitless = next > startedAt ? 1 : fruitless + 1;
        if (fruitless >= this.config.maxAttempts || attempt >= 4 * this.config.maxAttempts || !this.budget.tryRetry()) {
          this.log('error', 'request failed; no retries left', { requestId: job.requestId, attempts: attempt, reason: err.reason, chunk: next });
          throw unavailable(`Speech synthesis failed after ${attempt} attempt(s) (${err.reason}).`, 5);
        }
        this.log('warn', 'resuming request on another engine', {
          requestId: job.requestId, engine: engine.spec.id, reason: err.reason, fromChunk: next, attempt: attempt + 1,
        });
      } finally {
        engine.inFlight--;
        this.supervisor.emit('change', engine);
      }
    }
  }

  /** Errors that are about the request, not the engine: no retry. */
  private requestError(f: EngineFailure): ApiError | null {
    const code = f.engineError?.code;
    if (code === 'invalid_text') return badRequest(f.engineError!.message, 'input');
    if (code === 'invalid_voice') return badRequest(f.engineError!.message, 'voice');
    if (code === 'invalid_speed') return badRequest(f.engineError!.message, 'speed');
    if (code === 'invalid_request') return new ApiError(500, 'The engine refused the request.', 'server_error');
    return null;
  }

  private onEngineFailure(e: Engine, f: EngineFailure): void {
    if (f.reason === 'stall' || f.reason === 'chunk_timeout') this.supervisor.kill(e, f.message);
    else if (f.engineError?.code === 'overloaded' || f.engineError?.code === 'not_ready') {
      /* busy or restarting: try elsewhere without ejecting */
    } else this.supervisor.eject(e, f.message);
  }
}
