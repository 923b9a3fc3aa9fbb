// The gateway-wide chunk scheduler. Work items are chunks (token ids + voice + speed) wanted by
// one or more requests; each dispatch is one POST /infer carrying one chunk, on a chunk slot
// leased from the supervisor (an engine runs at most `chunkSlots` chunks at once).
//
// Dispatch order, whenever a slot frees or work arrives:
//   1. every request's HEAD chunk (its lowest chunk not yet synthesized) when it is not already
//      running, round-robin across requests (least recently served first; a new request first),
//      so a new request's first chunk never waits behind other requests' lookahead;
//   2. only when a slot would otherwise idle, lookahead chunks (a request's later chunks, which
//      the source submits only within its lookahead window), round-robin the same way.
// Under load tier 1 always fills the engines, so lookahead only takes otherwise idle engines.
//
// Plans lease chunk slots too (`planLender`), before any chunk: an engine runs plan steps on the
// same thread as inference, one queue, so a plan sent to an engine busy with a chunk waits for
// that whole chunk, and so does every request chunk it has not produced yet, while other engines
// may idle (bench:schedule measures it). A plan therefore takes the first free slot, and while it
// holds it no lookahead chunk goes there; a head chunk that finds no free slot takes the slot of a
// plan that has produced its first chunk (the plan then goes on behind that chunk, as before), so
// a long plan never starves a request, and a new request's first chunk still alternates fairly.
// A re-plan (after a failure, `avoid` set) leases as before, from the supervisor: it must not
// wait for a slot only to land back on the engine it avoids.
//
// Wide chunks: a chunk dispatched while no other chunk is running or queued and no plan waits
// (a lone request's only or last chunk) goes out with `wide`, and an engine with a wide session
// (WIDE_THREADS) runs it on all cores. The moment other work arrives it runs on the other engines
// as usual; the wide chunk then shares the cores for the rest of its run (bounded: one chunk).
// A lone chunk whose request is still being planned is held up to WIDE_WAIT_MS: the plan's end
// (a one-chunk text: go wide) or its next chunk (run both, one per engine) comes within a few ms.
//
// A failed chunk (engine died, stall, hung chunk, an ERROR not about the request) goes back to
// the queue, avoiding the engine it failed on; it is usually its request's head, so it goes first.
// Bounds: MAX_ATTEMPTS attempts per chunk, 4 x MAX_ATTEMPTS failures per request in all, and the
// gateway's retry budget. Errors about the request (invalid voice, speed, text) fail it at once.
//
// Single flight: items are keyed by their cache key, so a chunk already queued or running for
// one request is joined, not synthesized again (also a sentence repeated within one request).
// A request that leaves drops out of its items' waiters; an item nobody waits for any more is
// dropped from the queue, or its /infer call aborted if running: one request's abort never
// cancels a synthesis another request shares.
import { attachTiming } from '../captions/timing.js';
import { FrameKind, type ChunkTiming, type PlannedChunk } from '../../protocol/engine-wire.js';
import type { SupervisionConfig } from '../engines/config.js';
import { EngineFailure } from '../engines/engine-client.js';
import type { ChunkLender, Lease } from '../engines/supervisor.js';
import type { GatewayMetrics } from '../metrics.js';
import { SpeechError } from '../speech/errors.js';
import type { SpeechJob } from '../speech/types.js';
import type { ChunkCache } from './cache.js';
import { engineFault, requestError, type ChunkLog } from './faults.js';
import type { PlanLease, PlanLender } from './planner.js';

/** How long a lone chunk waits for its plan's end to learn whether it may run wide. */
export const WIDE_WAIT_MS = 25;

export interface SchedulerDeps {
  engines: ChunkLender;
  config: SupervisionConfig;
  log: ChunkLog;
  metrics?: GatewayMetrics;
  cache?: ChunkCache;
  /** Spends one retry from the gateway's retry budget; false when none is left. */
  tryRetry: () => boolean;
  /** WIDE_WAIT_MS unless given (tests on a busy machine give more). */
  wideWaitMs?: number;
}

interface Waiter {
  work: RequestWork;
  index: number;
  resolve(samples: Int16Array): void;
  reject(err: unknown): void;
}

type ItemState = 'queued' | 'running' | 'settled';

class Item {
  state: ItemState = 'queued';
  waiters: Waiter[] = [];
  /** Failed attempts so far. */
  attempts = 0;
  /** The engine it last failed on: taken again only as a last resort. */
  avoid: string | undefined;
  queuedAt = Date.now();
  run: AbortController | null = null;
  /** Alone but its plan still streaming: held until then for a wide run (WIDE_WAIT_MS). */
  wideWaitUntil: number | undefined;

  constructor(
    readonly chunk: PlannedChunk,
    readonly voice: string,
    readonly speed: number,
    readonly requestId: string,
    readonly key: string | null,
    readonly model: string | null,
  ) {}
}

/** One request's view of the scheduler. */
export class RequestWork {
  /** Chunk index -> the item that will produce it; removed once settled. */
  readonly items = new Map<number, Item>();
  failures = 0;
  closed = false;
  /** Round-robin: when this request was last served, per tier (0 = never). */
  servedHead = 0;
  servedAhead = 0;
  /** Its plan is still streaming in: more chunks may follow (see `planned`). */
  planning = false;

  constructor(readonly job: SpeechJob, readonly seq: number, private readonly scheduler: ChunkScheduler) {}

  /** Audio for chunk `chunk.index` of this request; `key` (a cache key) enables single flight and caching. */
  submit(chunk: PlannedChunk, key: string | null, model: string | null): Promise<Int16Array> {
    return this.scheduler.submit(this, chunk, key, model);
  }

  /** Its plan is complete: no more chunks will be submitted. */
  planned(): void {
    this.planning = false;
    this.scheduler.pump();
  }

  /** The request is over (done, failed or aborted): its remaining work is dropped. */
  close(reason: unknown): void {
    this.scheduler.close(this, reason);
  }

  /** Its lowest chunk not yet synthesized, and the lowest one waiting in the queue. */
  candidates(): { head: Item | undefined; ahead: Item | undefined } {
    let headIndex = Infinity;
    let head: Item | undefined;
    let aheadIndex = Infinity;
    let ahead: Item | undefined;
    for (const [index, item] of this.items) {
      if (index < headIndex) {
        headIndex = index;
        head = item;
      }
      if (item.state === 'queued' && index < aheadIndex) {
        aheadIndex = index;
        ahead = item;
      }
    }
    return { head: head?.state === 'queued' ? head : undefined, ahead };
  }
}

interface PlanWaiter {
  avoid: string | undefined;
  noEngineMs: number;
  since: number;
  grant(lease: Lease | null): void;
}

/** A plan's chunk slot; `give()` hands it back once (the planner's release, or a head taking it). */
class PlanHold {
  private given = false;
  /** Chunks the plan has produced on it. */
  produced = 0;
  constructor(readonly lease: Lease, readonly requestId: string | undefined, private readonly holds: Set<PlanHold>) {
    holds.add(this);
  }
  give(): void {
    if (this.given) return;
    this.given = true;
    this.holds.delete(this);
    this.lease.release();
  }
}

export class ChunkScheduler {
  private readonly requests: RequestWork[] = [];
  private readonly planWaiters: PlanWaiter[] = [];
  private readonly planHolds = new Set<PlanHold>();
  private readonly inFlightByKey = new Map<string, Item>();
  /** Items with an /infer call out. */
  private readonly running = new Set<Item>();
  private wideTimer: NodeJS.Timeout | null = null;
  private seq = 0;
  private served = 0;
  private pumping = false;
  private again = false;
  private noEngineTimer: NodeJS.Timeout | null = null;
  private noneReadySince: number | null = null;
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: SchedulerDeps) {
    this.unsubscribe = deps.engines.onCapacity(() => this.pump());
  }

  /** What the planner leases engines from: a chunk slot, ahead of every chunk (see the top). */
  readonly planLender: PlanLender = {
    acquire: (signal, opts) => (opts.avoid === undefined ? this.acquirePlanSlot(signal, opts) : this.deps.engines.acquire(signal, opts)),
  };

  private acquirePlanSlot(signal: AbortSignal, opts: { avoid?: string; noEngineMs: number; requestId?: string }): Promise<PlanLease | null> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<PlanLease | null>((resolve, reject) => {
      const onAbort = () => {
        const at = this.planWaiters.indexOf(waiter);
        if (at >= 0) this.planWaiters.splice(at, 1);
        reject(signal.reason);
      };
      const waiter: PlanWaiter = {
        avoid: opts.avoid,
        noEngineMs: opts.noEngineMs,
        since: Date.now(),
        grant: (lease) => {
          signal.removeEventListener('abort', onAbort);
          if (!lease) return resolve(null);
          const hold = new PlanHold(lease, opts.requestId, this.planHolds);
          resolve({
            id: lease.id, client: lease.client, modelSha256: lease.modelSha256,
            failed: (reason, fault) => lease.failed(reason, fault),
            release: () => hold.give(),
            planned: () => {
              hold.produced++;
            },
          });
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.planWaiters.push(waiter);
      this.pump();
    });
  }

  /**
   * A head chunk found no free slot: the slot of a plan that has produced a chunk, if any; its own
   * request's plan first (that plan's next steps then wait behind the chunk they feed), and not
   * on `avoid` if another will do.
   */
  private takePlanSlot(item: Item): Lease | null {
    const holds = [...this.planHolds].filter((h) => h.produced > 0);
    const rank = (h: PlanHold) => (h.requestId === item.requestId ? 0 : 2) + (h.lease.id === item.avoid ? 1 : 0);
    const hold = holds.sort((a, b) => rank(a) - rank(b))[0];
    if (!hold) return null;
    hold.give();
    return this.deps.engines.leaseChunk(item.avoid);
  }

  open(job: SpeechJob): RequestWork {
    const work = new RequestWork(job, ++this.seq, this);
    this.requests.push(work);
    return work;
  }

  submit(work: RequestWork, chunk: PlannedChunk, key: string | null, model: string | null): Promise<Int16Array> {
    if (work.closed) return Promise.reject(new Error('request closed'));
    let item = key ? this.inFlightByKey.get(key) : undefined;
    if (item) this.deps.metrics?.chunksShared.inc();
    else {
      item = new Item(chunk, work.job.voice, work.job.speed, work.job.requestId, key, model);
      if (key) this.inFlightByKey.set(key, item);
    }
    const it = item;
    const p = new Promise<Int16Array>((resolve, reject) => {
      it.waiters.push({ work, index: chunk.index, resolve, reject });
    });
    work.items.set(chunk.index, it);
    this.pump();
    return p;
  }

  close(work: RequestWork, reason: unknown): void {
    if (work.closed) return;
    work.closed = true;
    const at = this.requests.indexOf(work);
    if (at >= 0) this.requests.splice(at, 1);
    for (const item of new Set(work.items.values())) {
      const mine = item.waiters.filter((w) => w.work === work);
      item.waiters = item.waiters.filter((w) => w.work !== work);
      for (const w of mine) w.reject(reason);
      if (item.waiters.length === 0 && item.state !== 'settled') {
        const running = item.state === 'running';
        this.settle(item);
        if (running) item.run?.abort(reason); // nobody wants it any more: stop the engine's work
      }
    }
    work.items.clear();
    this.pump();
  }

  /** Stops listening for capacity (tests; the gateway's scheduler lives as long as the process). */
  dispose(): void {
    this.unsubscribe();
    if (this.noEngineTimer) clearTimeout(this.noEngineTimer);
    if (this.wideTimer) clearTimeout(this.wideTimer);
  }

  private settle(item: Item): void {
    item.state = 'settled';
    if (item.key && this.inFlightByKey.get(item.key) === item) this.inFlightByKey.delete(item.key);
    for (const w of item.waiters) w.work.items.delete(w.index);
  }

  /** Dispatches while there is both queued work and a free chunk slot. Re-entrant calls coalesce. */
  pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        // Plans first, oldest first: a plan step is short and everything of its request waits for it.
        while (this.planWaiters.length > 0) {
          const lease = this.deps.engines.leaseChunk(this.planWaiters[0]!.avoid);
          if (!lease) break;
          this.planWaiters.shift()!.grant(lease);
        }
        for (;;) {
          const next = this.pick();
          if (!next) break;
          let wide = this.alone(next.item) && (this.deps.engines.anyWide?.() ?? false);
          if (wide && next.work.planning) {
            if (this.holdForPlan(next.item)) break; // alone: nothing else to dispatch meanwhile
            wide = false;
          }
          let lease = this.deps.engines.leaseChunk(next.item.avoid);
          if (!lease && next.tier === 'head') lease = this.takePlanSlot(next.item);
          if (!lease) break;
          if (next.tier === 'head') next.work.servedHead = ++this.served;
          else next.work.servedAhead = ++this.served;
          this.start(next.item, lease, wide);
        }
        this.watchNoEngine();
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  /** Tier 1: heads, least recently served request first; tier 2: lookahead, the same way. */
  private pick(): { item: Item; work: RequestWork; tier: 'head' | 'ahead' } | null {
    let best: { item: Item; work: RequestWork; tier: 'head' | 'ahead' } | null = null;
    let bestServed = Infinity;
    for (const work of this.requests) {
      const { head } = work.candidates();
      if (head && (work.servedHead < bestServed || (work.servedHead === bestServed && best && work.seq < best.work.seq))) {
        best = { item: head, work, tier: 'head' };
        bestServed = work.servedHead;
      }
    }
    if (best) return best;
    for (const work of this.requests) {
      const { ahead } = work.candidates();
      if (ahead && work.servedAhead < bestServed) {
        best = { item: ahead, work, tier: 'ahead' };
        bestServed = work.servedAhead;
      }
    }
    return best;
  }

  /** Nothing else to run anywhere: no chunk running, none queued but `item`, no plan waiting. */
  private alone(item: Item): boolean {
    if (this.running.size > 0 || this.planWaiters.length > 0) return false;
    for (const w of this.requests) for (const other of w.items.values()) if (other !== item && other.state === 'queued') return false;
    return true;
  }

  /** True while `item` should wait for its plan (see the top); false once WIDE_WAIT_MS has passed. */
  private holdForPlan(item: Item): boolean {
    const now = Date.now();
    item.wideWaitUntil ??= now + (this.deps.wideWaitMs ?? WIDE_WAIT_MS);
    if (now >= item.wideWaitUntil) return false;
    if (this.wideTimer) clearTimeout(this.wideTimer);
    this.wideTimer = setTimeout(() => {
      this.wideTimer = null;
      this.pump();
    }, item.wideWaitUntil - now);
    this.wideTimer.unref();
    return true;
  }

  private start(item: Item, lease: Lease, wide: boolean): void {
    if (wide) this.deps.metrics?.chunksWide.inc();
    item.state = 'running';
    this.running.add(item);
    const run = new AbortController();
    item.run = run;
    const { config } = this.deps;
    void (async () => {
      try {
        let samples: Int16Array | undefined;
        let timing: ChunkTiming | undefined;
        for await (const frame of lease.client.infer(
          { requestId: item.requestId, voice: item.voice, speed: item.speed, chunks: [item.chunk], ...(wide ? { wide } : {}) },
          { signal: run.signal, stallMs: config.stallTimeoutMs, chunkTimeoutMs: config.chunkTimeoutMs },
        )) {
          if (frame.kind === FrameKind.AUDIO) {
            if (frame.chunk !== item.chunk.index || samples) throw new EngineFailure('protocol', `unexpected audio for chunk ${frame.chunk}`);
            samples = frame.samples;
            if (timing) attachTiming(samples, timing); // word timestamps (gateway/captions)
          } else if (frame.kind === FrameKind.TIMING && frame.chunk === item.chunk.index) {
            timing = frame.timing;
          } else if (frame.kind === FrameKind.END) {
            if (!samples) throw new EngineFailure('protocol', 'end before the chunk\'s audio');
            if (frame.samples !== samples.length) throw new EngineFailure('protocol', `end says ${frame.samples} samples, got ${samples.length}`);
          }
        }
        if (!samples) throw new EngineFailure('truncated', 'infer stream ended without audio');
        this.succeeded(item, samples, lease);
      } catch (err) {
        if (item.state === 'settled') return; // cancelled: nobody waits for it
        this.failed(item, err, lease);
      } finally {
        this.running.delete(item);
        lease.release(); // wakes the supervisor's waiters and pumps us
        this.pump();
      }
    })();
  }

  private succeeded(item: Item, samples: Int16Array, lease: Lease): void {
    if (item.state === 'settled') return;
    const waiters = item.waiters;
    this.settle(item);
    // Only what the keyed model produced may be stored under its key.
    if (item.key && item.model !== null && lease.modelSha256 === item.model) this.deps.cache?.put(item.key, samples);
    for (const w of waiters) {
      w.work.failures = 0;
      w.resolve(samples);
    }
  }

  private reject(item: Item, err: unknown): void {
    const waiters = item.waiters;
    this.settle(item);
    for (const w of waiters) w.reject(err);
  }

  private failed(item: Item, err: unknown, lease: Lease): void {
    if (!(err instanceof EngineFailure)) {
      this.reject(item, err);
      return;
    }
    const fatal = requestError(err);
    if (fatal) {
      this.reject(item, fatal);
      return;
    }
    lease.failed(err.message, engineFault(err));
    this.deps.metrics?.retries.inc({ reason: err.reason });
    item.attempts++;
    item.avoid = lease.id;
    let tooMany = item.attempts >= this.deps.config.maxAttempts;
    for (const w of item.waiters) {
      w.work.failures++;
      if (w.work.failures >= 4 * this.deps.config.maxAttempts) tooMany = true;
    }
    if (tooMany || !this.deps.tryRetry()) {
      this.deps.log('error', 'chunk failed; no retries left', {
        requestId: item.requestId, chunk: item.chunk.index, attempts: item.attempts, reason: err.reason,
      });
      this.reject(item, new SpeechError('unavailable', `Speech synthesis failed after ${item.attempts} attempt(s) (${err.reason}).`, { retryAfterS: 5 }));
      return;
    }
    this.deps.log('warn', 're-running chunk on another engine', {
      requestId: item.requestId, chunk: item.chunk.index, engine: lease.id, reason: err.reason, attempt: item.attempts + 1,
    });
    item.state = 'queued';
    item.run = null;
    item.queuedAt = Date.now();
  }

  /**
   * Queued work with no engine ready at all: after ENGINE_WAIT_MS (counted from when the item was
   * queued or the last engine went away, whichever is later) its requests get 'unavailable'.
   * Ready-but-full engines make work wait, bounded by admission.
   */
  private watchNoEngine(): void {
    const queued = this.queuedItems();
    if ((queued.length === 0 && this.planWaiters.length === 0) || this.deps.engines.readyCount() > 0) {
      this.noneReadySince = null;
      if (this.noEngineTimer) clearTimeout(this.noEngineTimer);
      this.noEngineTimer = null;
      return;
    }
    const now = Date.now();
    this.noneReadySince ??= now;
    const wait = this.deps.config.engineWaitMs;
    const due = (i: Item) => Math.max(i.queuedAt, this.noneReadySince!) + wait;
    const planDue = (w: PlanWaiter) => Math.max(w.since, this.noneReadySince!) + w.noEngineMs;
    for (const item of queued) {
      if (due(item) <= now) {
        this.deps.metrics?.admissionRejections.inc({ reason: 'no_engine' });
        this.reject(item, new SpeechError('unavailable', 'No speech engine is ready; try again shortly.', {
          retryAfterS: Math.max(1, Math.ceil(this.deps.config.restartBaseMs / 1000) + 2),
        }));
      }
    }
    // The planner turns null into its own 'unavailable' (and counts it).
    for (const w of [...this.planWaiters]) {
      if (planDue(w) <= now) {
        this.planWaiters.splice(this.planWaiters.indexOf(w), 1);
        w.grant(null);
      }
    }
    const left = [...this.queuedItems().map(due), ...this.planWaiters.map(planDue)];
    if (this.noEngineTimer) clearTimeout(this.noEngineTimer);
    this.noEngineTimer = null;
    if (left.length === 0) return;
    const next = Math.min(...left);
    this.noEngineTimer = setTimeout(() => {
      this.noEngineTimer = null;
      this.pump();
    }, Math.max(1, next - now));
  }

  private queuedItems(): Item[] {
    const out = new Set<Item>();
    for (const w of this.requests) for (const item of w.items.values()) if (item.state === 'queued') out.add(item);
    return [...out];
  }
}
