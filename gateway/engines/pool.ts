// The engine pool as a SpeechSource: routes each request to the ready engine with the fewest
// requests in flight and, when that engine dies, stalls or fails, resumes the request on
// another ready engine from the first chunk not yet received whole. Every engine splits the
// same text into the same chunks, so the stream the caller sees is seamless. Attempts per
// request are bounded and a retry budget stops a retry storm.
import { FrameKind, type SynthesizeRequest } from '../../protocol/engine-wire.js';
import type { GatewayMetrics } from '../metrics.js';
import { SpeechError } from '../speech/errors.js';
import type { SpeechEvent, SpeechJob, SpeechSource } from '../speech/types.js';
import type { SupervisionConfig } from './config.js';
import { EngineFailure } from './engine-client.js';
import { RetryBudget } from './retry-budget.js';
import type { EngineFault, EngineLender, Lease } from './supervisor.js';

export interface PoolLog {
  (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

export class EnginePool implements SpeechSource {
  private readonly budget: RetryBudget;

  constructor(
    private readonly engines: EngineLender,
    private readonly config: SupervisionConfig,
    private readonly log: PoolLog,
    private readonly metrics?: GatewayMetrics,
  ) {
    this.budget = new RetryBudget(config.retryBudgetRatio, config.retryBudgetMin, 60_000);
  }

  /**
   * An engine with room. Waits while engines are ready but full (admission bounds how many
   * wait); 'unavailable' only when no engine at all has been ready for engineWaitMs.
   */
  private async acquireEngine(signal: AbortSignal, avoid?: string): Promise<Lease> {
    const lease = await this.engines.acquire(signal, { avoid, noEngineMs: this.config.engineWaitMs });
    if (lease) return lease;
    this.metrics?.admissionRejections.inc({ reason: 'no_engine' });
    throw new SpeechError('unavailable', 'No speech engine is ready; try again shortly.', {
      retryAfterS: Math.max(1, Math.ceil(this.config.restartBaseMs / 1000) + 2),
    });
  }

  async *synthesize(job: SpeechJob, signal: AbortSignal): AsyncGenerator<SpeechEvent> {
    this.budget.noteRequest();
    let next = 0; // first chunk not yet received whole
    let samples = 0;
    let last: string | undefined;
    // MAX_ATTEMPTS bounds attempts in a row that brought no new chunk: a long request that
    // meets several unrelated engine failures but advances each time is not given up on
    // (up to a hard cap of 4x), while one that keeps failing at the same chunk is.
    let fruitless = 0;
    for (let attempt = 1; ; attempt++) {
      const startedAt = next;
      const engine = await this.acquireEngine(signal, last);
      last = engine.id;
      const req: SynthesizeRequest = { text: job.text, voice: job.voice, speed: job.speed, lang: job.lang, fromChunk: next };
      try {
        for await (const frame of engine.client.synthesize(req, {
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
        engine.failed(err.message, this.fault(err));
        this.metrics?.retries.inc({ reason: err.reason });
        fruitless = next > startedAt ? 1 : fruitless + 1;
        if (fruitless >= this.config.maxAttempts || attempt >= 4 * this.config.maxAttempts || !this.budget.tryRetry()) {
          this.log('error', 'request failed; no retries left', { requestId: job.requestId, attempts: attempt, reason: err.reason, chunk: next });
          throw new SpeechError('unavailable', `Speech synthesis failed after ${attempt} attempt(s) (${err.reason}).`, { retryAfterS: 5 });
        }
        this.log('warn', 'resuming request on another engine', {
          requestId: job.requestId, engine: engine.id, reason: err.reason, fromChunk: next, attempt: attempt + 1,
        });
      } finally {
        engine.release();
      }
    }
  }

  /** Errors that are about the request, not the engine: no retry. */
  private requestError(f: EngineFailure): SpeechError | null {
    const code = f.engineError?.code;
    if (code === 'invalid_text') return new SpeechError('bad_request', f.engineError!.message, { param: 'input' });
    if (code === 'invalid_voice') return new SpeechError('bad_request', f.engineError!.message, { param: 'voice' });
    if (code === 'invalid_speed') return new SpeechError('bad_request', f.engineError!.message, { param: 'speed' });
    if (code === 'invalid_request') return new SpeechError('engine_refused', 'The engine refused the request.');
    return null;
  }

  private fault(f: EngineFailure): EngineFault {
    if (f.reason === 'stall' || f.reason === 'chunk_timeout') return 'hung';
    // Busy or restarting: try elsewhere without ejecting.
    if (f.engineError?.code === 'overloaded' || f.engineError?.code === 'not_ready') return 'busy';
    return 'broken';
  }
}
