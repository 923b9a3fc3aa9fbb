// The speech source over the chunk layer: plan (from the plan cache, else one engine's /plan,
// streamed) -> for each chunk within the request's window: a cache hit, else a scheduled
// synthesis (joined if another request is already making it) -> audio events strictly in chunk
// order -> 'end' with the plan's chunk count and input tokens.
// The window is the chunk the request needs next plus LOOKAHEAD_CHUNKS (0 with
// PARALLEL_CHUNKS=0): it bounds both the engines a lone request may occupy and the audio held
// waiting for delivery. Aborting the signal (or leaving early) cancels this request's work.
import { voiceLang } from '../../engine/voices.js';
import type { PlannedChunk } from '../../protocol/engine-wire.js';
import type { SupervisionConfig } from '../engines/config.js';
import { RetryBudget } from '../engines/retry-budget.js';
import type { ChunkLender } from '../engines/supervisor.js';
import type { GatewayMetrics } from '../metrics.js';
import { abortable } from '../speech/abortable.js';
import type { SpeechEvent, SpeechJob, SpeechSource } from '../speech/types.js';
import { canonicalVoice, chunkKey, planKey, type ChunkCache } from './cache.js';
import type { ChunkLog } from './faults.js';
import { planRequest, type PlanSummary } from './planner.js';
import { ChunkScheduler } from './scheduler.js';
import { SpeechError } from '../speech/errors.js';
import { timingOf, wordTimes, type TimedWord } from '../captions/timing.js';

/** A delivered chunk's words, timed (gateway/captions/timing.ts); throws when the engine gave no timing. */
function timedWords(c: PlannedChunk, samples: Int16Array): TimedWord[] {
  const timing = timingOf(samples);
  const words = timing && c.words ? wordTimes(c.words, c.tokens.length, timing, samples.length) : null;
  if (!words) {
    throw new SpeechError('timestamps_unavailable', 'Word timestamps are unavailable: the engines run a model without the durations output '
      + '(only the verified kokoro-v1.0.int8.onnx has one; see README "Word timestamps").');
  }
  return words;
}

export interface ChunkSourceOptions {
  engines: ChunkLender;
  config: SupervisionConfig;
  /** Chunks beyond the next one a request may have in flight or waiting (0 = none). */
  lookaheadChunks: number;
  cache?: ChunkCache;
  /** false: plans lease engines from the supervisor, queued behind inference (the rule before; bench:schedule only). */
  planSlots?: boolean;
  /** How long a lone chunk waits for its plan's end before it runs narrow (default WIDE_WAIT_MS). */
  wideWaitMs?: number;
  log: ChunkLog;
  metrics?: GatewayMetrics;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class ChunkSource implements SpeechSource {
  readonly scheduler: ChunkScheduler;
  private readonly budget: RetryBudget;

  constructor(private readonly opts: ChunkSourceOptions) {
    this.budget = new RetryBudget(opts.config.retryBudgetRatio, opts.config.retryBudgetMin, 60_000);
    this.scheduler = new ChunkScheduler({
      engines: opts.engines, config: opts.config, log: opts.log, metrics: opts.metrics, cache: opts.cache, wideWaitMs: opts.wideWaitMs,
      tryRetry: () => this.budget.tryRetry(),
    });
  }

  async *synthesize(job: SpeechJob, signal: AbortSignal): AsyncGenerator<SpeechEvent> {
    this.budget.noteRequest();
    const { cache } = this.opts;
    // Keys only when every engine names the same model and the voice spec reads back.
    const model = cache?.enabled ? this.opts.engines.modelSha256() : null;
    const voice = model ? canonicalVoice(job.voice) : null;
    const lang = job.lang ?? voiceLang(job.voice.split(/[+(]/)[0]!.trim()) ?? 'default';
    const keyed = model !== null && voice !== null;
    const window = 1 + Math.max(0, this.opts.lookaheadChunks);

    const work = this.scheduler.open(job);
    const local = new AbortController();
    const onAbort = () => local.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });

    const chunks: PlannedChunk[] = [];
    const slots: Array<Promise<Int16Array> | undefined> = [];
    let summary: PlanSummary | null = null;
    let delivered = 0;
    let started = 0;
    const failed = deferred<never>();
    failed.promise.catch(() => {});
    // Not Promise.race([x, failed.promise]): every race leaves a reaction on the never-settling
    // failed.promise that keeps its result alive, so each delivered chunk's samples stayed in
    // memory until the request ended (GBs for a long one). This listens only while x is pending.
    let failure: { error: unknown } | null = null;
    failed.promise.catch((e: unknown) => {
      failure = { error: e };
      for (const reject of failWaiters) reject(e);
      failWaiters.clear();
    });
    const failWaiters = new Set<(e: unknown) => void>();
    const orFailure = <T>(x: Promise<T>): Promise<T> => {
      if (failure) return Promise.reject(failure.error);
      return new Promise<T>((resolve, reject) => {
        failWaiters.add(reject);
        x.then(
          (v) => {
            failWaiters.delete(reject);
            resolve(v);
          },
          (e: unknown) => {
            failWaiters.delete(reject);
            reject(e);
          },
        );
      });
    };
    let changed = deferred<void>();
    const notify = () => {
      const d = changed;
      changed = deferred<void>();
      d.resolve();
    };

    const startWindow = () => {
      while (started < chunks.length && started < delivered + window) {
        const c = chunks[started]!;
        const key = keyed ? chunkKey({ model: model!, voice: voice!, speed: job.speed, lang, tokens: c.tokens }) : null;
        const p = (async () => {
          if (key) {
            const hit = await cache!.get(key);
            // A hit without timing (from the disk tier) is synthesized again when words are wanted.
            if (hit && (!job.timestamps || timingOf(hit))) return hit;
          }
          return work.submit(c, key, model);
        })();
        p.catch((e) => failed.reject(e));
        slots[started++] = p;
      }
    };

    // A plan from phonemes has its own key space: phonemes are never read as text, nor the reverse.
    const pkey = keyed ? (job.phonemes !== undefined ? planKey(model!, 'phonemes', job.phonemes) : planKey(model!, lang, job.text)) : null;
    const cachedPlan = pkey ? cache!.getPlan(pkey) : undefined;
    if (cachedPlan) {
      chunks.push(...cachedPlan.chunks);
      summary = { chunks: cachedPlan.chunks.length, inputTokens: cachedPlan.inputTokens };
    } else {
      work.planning = true;
      void (async () => {
        try {
          const plan = planRequest({
            engines: this.opts.planSlots === false ? this.opts.engines : this.scheduler.planLender, config: this.opts.config, log: this.opts.log, metrics: this.opts.metrics,
            tryRetry: () => this.budget.tryRetry(),
          }, job, local.signal);
          for (;;) {
            const r = await plan.next();
            if (r.done) {
              summary = r.value;
              break;
            }
            chunks.push(r.value);
            startWindow();
            notify();
          }
          if (pkey) cache!.putPlan(pkey, { chunks: [...chunks], inputTokens: summary.inputTokens });
          work.planned();
          notify();
        } catch (e) {
          failed.reject(e);
        }
      })();
    }

    let samples = 0;
    try {
      for (;;) {
        startWindow();
        if (delivered < started) {
          const s = await abortable(orFailure(slots[delivered]!), signal);
          slots[delivered] = undefined;
          const chunk = delivered++;
          samples += s.length;
          if (job.timestamps) yield { type: 'audio', chunk, samples: s, words: timedWords(chunks[chunk]!, s) };
          else yield { type: 'audio', chunk, samples: s };
        } else if (summary && delivered >= chunks.length) {
          yield { type: 'end', chunks: summary.chunks, samples, inputTokens: summary.inputTokens };
          return;
        } else {
          await abortable(orFailure(changed.promise), signal);
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      const reason = signal.aborted ? signal.reason : new Error('request finished');
      local.abort(reason);
      work.close(reason);
    }
  }
}
