// A request's plan, made once, on one engine (POST /plan), yielded chunk by chunk as the engine's
// front end produces them, so the first chunk can be synthesized before the text is fully read.
// If the plan stream fails midway (engine died, stalled), the request is re-planned on another
// engine: the chunks already received must come back identical (token ids compared), and the
// closing digest must equal planDigest() of the chunks we used. A mismatch fails the request
// visibly ('plan_mismatch'): engines never splice two different plans into one file.
// Every chunk is then synthesized from its token ids, on whatever engine is free.
// The lease is a chunk slot (the scheduler's planLender): it is given back after PLAN_HOLD_CHUNKS
// chunks even though the plan goes on, so a book-length plan does not keep its engine from
// lookahead for seconds (its later steps then take turns with inference on that engine).
import { FrameKind, planDigest, type PlannedChunk, type PlanWord } from '../../protocol/engine-wire.js';
import type { SupervisionConfig } from '../engines/config.js';
import { EngineFailure } from '../engines/engine-client.js';
import type { Lease } from '../engines/supervisor.js';
import type { GatewayMetrics } from '../metrics.js';
import { SpeechError } from '../speech/errors.js';
import type { SpeechJob } from '../speech/types.js';
import { engineFault, requestError, type ChunkLog } from './faults.js';

export interface PlanSummary {
  chunks: number;
  inputTokens: number;
}

/** A plan's engine lease; `planned()` is told of each chunk received (the scheduler's plan slots use it). */
export interface PlanLease extends Lease {
  planned?(): void;
}

/** Where plans get engines: the chunk scheduler's plan slots (or any EngineLender). */
export interface PlanLender {
  acquire(signal: AbortSignal, opts: { avoid?: string; noEngineMs: number; requestId?: string }): Promise<PlanLease | null>;
}

export interface PlannerDeps {
  engines: PlanLender;
  config: SupervisionConfig;
  log: ChunkLog;
  metrics?: GatewayMetrics;
  /** Spends one retry from the gateway's retry budget; false when none is left. */
  tryRetry: () => boolean;
}

/** Chunks a plan produces on its leased slot before giving it back (at ~5-20 ms a step, well under a chunk's inference). */
export const PLAN_HOLD_CHUNKS = 16;

const sameTokens = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((t, i) => t === b[i]);

/**
 * Yields the plan's chunks in order, each exactly once; returns the summary (from PLANNED).
 * Throws SpeechError: 'unavailable' (no engine, attempts spent), 'bad_request' (the engine
 * refused the text), 'plan_mismatch' (a re-plan disagreed with what was already used).
 */
export async function* planRequest(deps: PlannerDeps, job: SpeechJob, signal: AbortSignal): AsyncGenerator<PlannedChunk, PlanSummary> {
  const got: PlannedChunk[] = [];
  let last: string | undefined;
  let fruitless = 0;
  for (let attempt = 1; ; attempt++) {
    const lease = await deps.engines.acquire(signal, { avoid: last, noEngineMs: deps.config.engineWaitMs, requestId: job.requestId });
    if (!lease) {
      deps.metrics?.admissionRejections.inc({ reason: 'no_engine' });
      throw new SpeechError('unavailable', 'No speech engine is ready; try again shortly.', {
        retryAfterS: Math.max(1, Math.ceil(deps.config.restartBaseMs / 1000) + 2),
      });
    }
    last = lease.id;
    const startedWith = got.length;
    let i = 0;
    let words: PlanWord[] | undefined; // the WORDS frame that precedes each PLAN frame
    try {
      const body = job.phonemes !== undefined ? { phonemes: job.phonemes, voice: job.voice } : { text: job.text, lang: job.lang, voice: job.voice };
      for await (const frame of lease.client.plan(body, {
        signal, stallMs: deps.config.stallTimeoutMs, chunkTimeoutMs: deps.config.chunkTimeoutMs,
      })) {
        if (frame.kind === FrameKind.WORDS) {
          words = frame.chunk === i ? frame.words : undefined;
        } else if (frame.kind === FrameKind.PLAN) {
          if (frame.chunk !== i) throw new EngineFailure('protocol', `expected plan chunk ${i}, got ${frame.chunk}`);
          if (i < got.length) {
            if (!sameTokens(got[i]!.tokens, frame.tokens)) throw mismatch(job, lease.id, `chunk ${i} differs`);
          } else {
            const c: PlannedChunk = { index: i, tokens: frame.tokens, ...(words ? { words } : {}) };
            got.push(c);
            lease.planned?.();
            yield c;
          }
          i++;
          if (i === PLAN_HOLD_CHUNKS) lease.release();
          words = undefined;
        } else if (frame.kind === FrameKind.PLANNED) {
          if (i < got.length) throw mismatch(job, lease.id, `the re-plan has ${i} chunks, ${got.length} were already used`);
          if (frame.chunks !== i) throw new EngineFailure('protocol', `planned ${frame.chunks} chunks but sent ${i}`);
          if (frame.digest !== planDigest(got)) {
            throw startedWith > 0
              ? mismatch(job, lease.id, 'plan digest differs')
              : new EngineFailure('protocol', 'plan digest does not match the chunks sent');
          }
          return { chunks: frame.chunks, inputTokens: frame.inputTokens };
        }
      }
      throw new EngineFailure('truncated', 'plan stream ended early');
    } catch (err) {
      if (signal.aborted) throw err;
      if (!(err instanceof EngineFailure)) throw err;
      const fatal = requestError(err);
      if (fatal) throw fatal;
      lease.failed(err.message, engineFault(err));
      deps.metrics?.retries.inc({ reason: err.reason });
      fruitless = got.length > startedWith ? 1 : fruitless + 1;
      if (fruitless >= deps.config.maxAttempts || attempt >= 4 * deps.config.maxAttempts || !deps.tryRetry()) {
        deps.log('error', 'plan failed; no retries left', { requestId: job.requestId, attempts: attempt, reason: err.reason });
        throw new SpeechError('unavailable', `Speech synthesis failed after ${attempt} attempt(s) (${err.reason}).`, { retryAfterS: 5 });
      }
      deps.log('warn', 're-planning request on another engine', { requestId: job.requestId, engine: lease.id, reason: err.reason, received: got.length });
    } finally {
      lease.release();
    }
  }
}

function mismatch(job: SpeechJob, engine: string, why: string): SpeechError {
  return new SpeechError('plan_mismatch', `Engines disagree on how to split the text (${why} on ${engine}); the request was stopped rather than splice two plans.`, { retryAfterS: 5 });
}
