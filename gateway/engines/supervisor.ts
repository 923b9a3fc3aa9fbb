// Keeps engines alive. Local engines are cluster workers forked from this process (the
// cluster primary); remote engines are URLs. Every engine gets active health checks; a local
// engine that exits is restarted with exponential backoff (reset after a stable run), a crash
// loop marks its slot failed (still retried, slowly), and a local engine that stops answering
// (SIGSTOP, a wedged process) or whose chunk hangs is killed and restarted.
// Engines are lent, never handed out: the planner leases one per plan attempt (`acquire`, up to
// `maxInFlight` per engine) and the chunk scheduler one per chunk (`leaseChunk`, up to
// `chunkSlots` per engine); each reports how it failed and gives it back. The supervisor alone
// counts what is in flight and decides kill/eject. A waiter is woken, and 'capacity' emitted,
// when an engine becomes ready or a lease comes back, not by polling.
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { EngineToParent } from '../../protocol/engine-ipc.js';
import type { GatewayMetrics } from '../metrics.js';
import type { SlotSpec, SupervisionConfig } from './config.js';
import { EngineClient } from './engine-client.js';

export type EngineState = 'starting' | 'ready' | 'unhealthy' | 'restarting' | 'failed' | 'stopped';

export interface EngineStatusRow {
  id: string;
  kind: 'local' | 'remote';
  pid: number | null;
  slot: string;
  device: string;
  threads: number;
  /** Threads of its wide session (WIDE_THREADS) once loaded, else 0. */
  wideThreads: number;
  runtime: string | null;
  state: EngineState;
  inFlight: number;
  restarts: number;
  lastExit: string | null;
  lastError: string | null;
  uptimeSeconds: number | null;
  url: string | null;
}

/** What an engine did wrong on one request: 'hung' kills it, 'broken' ejects it until health checks pass, 'busy' leaves it be. */
export type EngineFault = 'hung' | 'broken' | 'busy';

/** One engine lent for one attempt. */
export interface Lease {
  readonly id: string;
  readonly client: EngineClient;
  /** SHA-256 of the engine's model file, as its last health answer said (absent: it does not say). */
  readonly modelSha256?: string;
  /** The attempt failed on this engine; the supervisor acts on `fault`. */
  failed(reason: string, fault: EngineFault): void;
  /** Gives the engine back; only the first call counts. */
  release(): void;
}

/** What the pool needs from the supervisor. */
export interface EngineLender {
  /**
   * An engine with room, waiting while engines are ready but full; null once no engine at all
   * has been ready for `noEngineMs`. `avoid` (an engine id) is taken only as a last resort.
   * Rejects with the signal's reason when it aborts.
   */
  acquire(signal: AbortSignal, opts: { avoid?: string; noEngineMs: number }): Promise<Lease | null>;
}

/** What the chunk scheduler needs from the supervisor: a non-blocking view of free chunk slots. */
export interface ChunkLender extends EngineLender {
  /**
   * A chunk slot on the least-loaded ready engine that has one free, or null (never waits);
   * `avoid` only as a last resort.
   */
  leaseChunk(avoid?: string): Lease | null;
  readyCount(): number;
  /** Whether a ready engine has a wide session loaded (WIDE_THREADS); absent: none has. */
  anyWide?(): boolean;
  /** The model SHA-256 every engine that said one agrees on; null when none said or they differ. */
  modelSha256(): string | null;
  /** Calls `fn` whenever capacity may have freed (a lease released, an engine ready); returns the unsubscribe. */
  onCapacity(fn: () => void): () => void;
}

interface Waiter {
  avoid?: string;
  grant(lease: Lease): void;
}

// Private to this module: only the supervisor writes an engine's state.
class Engine {
  state: EngineState = 'starting';
  pid: number | null = null;
  client: EngineClient | null = null;
  worker: Worker | null = null;
  /** Leases out (plans and chunks). */
  inFlight = 0;
  /** Of those, chunk leases. */
  chunks = 0;
  /** From the last health answer that named one; kept across restarts of the slot. */
  modelSha256: string | undefined;
  /** The wide session's threads, as the last health answer said (0: none loaded). */
  wideThreads = 0;
  restarts = 0;
  lastExit: string | null = null;
  lastError: string | null = null;
  runtime: string | null = null;
  device: string;
  startedAt = 0;
  backoffMs: number;
  exits: number[] = [];
  okStreak = 0;
  failStreak = 0;
  /** When the last good health answer came (local watchdog). */
  lastHealthyAt = 0;
  restartTimer: NodeJS.Timeout | null = null;

  constructor(readonly spec: SlotSpec, baseBackoff: number) {
    this.device = spec.device;
    this.backoffMs = baseBackoff;
  }

  get routable(): boolean {
    return this.state === 'ready' && this.client !== null;
  }

  row(): EngineStatusRow {
    return {
      id: this.spec.id,
      kind: this.spec.kind,
      pid: this.pid,
      slot: this.spec.id,
      device: this.device,
      threads: this.spec.threads,
      wideThreads: this.wideThreads,
      runtime: this.runtime,
      state: this.state,
      inFlight: this.inFlight,
      restarts: this.restarts,
      lastExit: this.lastExit,
      lastError: this.lastError,
      uptimeSeconds: this.pid && this.startedAt ? Math.round((Date.now() - this.startedAt) / 1000) : null,
      url: this.client?.origin ?? null,
    };
  }
}

export interface SupervisorOptions {
  config: SupervisionConfig;
  /** Compiled engine entry (dist/engine/main.js). */
  engineMain: string;
  /** Extra environment for every engine (models dir, cache dir). */
  engineEnv: Record<string, string>;
  metrics?: GatewayMetrics;
  /** The Bearer token of forked engines; default: a random one per supervisor (per gateway boot). */
  localToken?: string;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/** Emits 'change' whenever an engine's state changes. */
export class Supervisor extends EventEmitter implements ChunkLender {
  private readonly engines: Engine[];
  private healthTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly waiters: Waiter[] = [];
  /** Since when no engine has been ready (the start, until one is). */
  private noneReadySince = Date.now();
  private anyReady = false;
  /** Forked engines require it on every route (ENGINE_TOKEN in their env); never logged. */
  private readonly localToken: string;

  constructor(private readonly opts: SupervisorOptions) {
    super();
    this.localToken = opts.localToken ?? randomBytes(32).toString('base64url');
    this.setMaxListeners(0);
    this.engines = opts.config.slots.map((s) => new Engine(s, opts.config.restartBaseMs));
  }

  start(): void {
    if (this.engines.some((e) => e.spec.kind === 'local')) cluster.setupPrimary({ exec: this.opts.engineMain, args: [], silent: false });
    for (const e of this.engines) {
      if (e.spec.kind === 'local') this.fork(e);
      else {
        e.client = new EngineClient(e.spec.url!, { token: this.opts.config.remoteEngineToken });
        e.startedAt = Date.now();
      }
    }
    this.healthTimer = setInterval(() => this.checkAll(), this.opts.config.healthIntervalMs);
    this.healthTimer.unref();
    this.checkAll();
  }

  readyCount(): number {
    return this.engines.filter((e) => e.routable).length;
  }

  anyWide(): boolean {
    return this.engines.some((e) => e.routable && e.wideThreads > 0);
  }

  rows(): EngineStatusRow[] {
    return this.engines.map((e) => e.row());
  }

  /** Base URL of a running engine, for the proxied debug endpoints. */
  origin(id: string): string | null {
    return this.engines.find((e) => e.spec.id === id)?.client?.origin ?? null;
  }

  /** The Bearer token engine `id` requires (the debug proxy adds it), or undefined. */
  engineToken(id: string): string | undefined {
    const e = this.engines.find((x) => x.spec.id === id);
    if (!e) return undefined;
    return e.spec.kind === 'local' ? this.localToken : this.opts.config.remoteEngineToken;
  }

  /** The least-loaded ready engine with room, or null; `avoid` only as a last resort. */
  lease(avoid?: string): Lease | null {
    return this.lend((e) => e.inFlight < e.spec.maxInFlight, (e) => e.inFlight, avoid, false);
  }

  leaseChunk(avoid?: string): Lease | null {
    return this.lend((e) => e.chunks < e.spec.chunkSlots, (e) => e.chunks, avoid, true);
  }

  modelSha256(): string | null {
    const said = new Set(this.engines.map((e) => e.modelSha256));
    if (said.size !== 1) return null;
    return [...said][0] ?? null;
  }

  onCapacity(fn: () => void): () => void {
    this.on('capacity', fn);
    return () => this.off('capacity', fn);
  }

  private lend(open: (e: Engine) => boolean, load: (e: Engine) => number, avoid: string | undefined, chunk: boolean): Lease | null {
    const candidates0 = this.engines.filter((e) => e.routable && open(e));
    const preferred = candidates0.filter((e) => e.spec.id !== avoid);
    const candidates = preferred.length > 0 ? preferred : candidates0;
    const e = candidates.reduce<Engine | null>((best, x) => (best === null || load(x) < load(best) ? x : best), null);
    if (!e) return null;
    e.inFlight++;
    if (chunk) e.chunks++;
    let released = false;
    return {
      id: e.spec.id,
      client: e.client!,
      modelSha256: e.modelSha256,
      failed: (reason, fault) => {
        if (fault === 'hung') this.kill(e, reason);
        else if (fault === 'broken') this.eject(e, reason);
      },
      release: () => {
        if (released) return;
        released = true;
        e.inFlight--;
        if (chunk) e.chunks--;
        this.wake();
      },
    };
  }

  acquire(signal: AbortSignal, opts: { avoid?: string; noEngineMs: number }): Promise<Lease | null> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const now = this.lease(opts.avoid);
    if (now) return Promise.resolve(now);
    const since = Date.now();
    return new Promise<Lease | null>((resolve, reject) => {
      let timer: NodeJS.Timeout;
      const settle = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      const waiter: Waiter = {
        avoid: opts.avoid,
        grant: (lease) => {
          settle();
          resolve(lease);
        },
      };
      const onAbort = () => {
        settle();
        reject(signal.reason);
      };
      // Not a poll: only the no-engine deadline, pushed back while any engine is ready.
      const arm = () => {
        const deadline = this.readyCount() > 0 ? Date.now() + opts.noEngineMs : Math.max(since, this.noneReadySince) + opts.noEngineMs;
        const left = deadline - Date.now();
        if (left <= 0) {
          settle();
          resolve(null);
          return;
        }
        timer = setTimeout(arm, left);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      arm();
    });
  }

  /** Serves waiters, oldest first, while engines have room. */
  private wake(): void {
    for (const w of [...this.waiters]) {
      const lease = this.lease(w.avoid);
      if (!lease) continue;
      w.grant(lease);
    }
    this.emit('capacity');
  }

  private setState(e: Engine, state: EngineState): void {
    if (e.state === state) return;
    e.state = state;
    const ready = this.readyCount();
    if (ready === 0 && this.anyReady) this.noneReadySince = Date.now();
    this.anyReady = ready > 0;
    this.opts.metrics?.enginesReady.set(ready);
    this.emit('change', e.spec.id);
    if (state === 'ready') this.wake();
  }

  private fork(e: Engine): void {
    const { spec } = e;
    const env: Record<string, string> = {
      ...this.opts.engineEnv,
      ENGINE_ID: spec.id,
      ENGINE_HOST: '127.0.0.1',
      ENGINE_PORT: '0',
      ENGINE_THREADS: String(spec.threads),
      WIDE_THREADS: String(spec.wideThreads ?? 0),
      ENGINE_DEVICE: 'cpu',
      ENGINE_HEARTBEAT_MS: String(Math.max(100, Math.min(1000, Math.floor(this.opts.config.stallTimeoutMs / 4)))),
      // This boot's token, not the remote engines' secret (a blank file setting = unset).
      ENGINE_TOKEN: this.localToken,
      ENGINE_TOKEN_FILE: '',
    };
    const gpu = /^cuda:(\d+)$/.exec(spec.device);
    if (gpu) {
      // Pin the engine to its GPU: inside, that GPU is device 0.
      env.CUDA_VISIBLE_DEVICES = gpu[1]!;
      env.ENGINE_DEVICE = 'cuda:0';
    }
    const worker = cluster.fork(env);
    e.worker = worker;
    e.pid = worker.process.pid ?? null;
    e.startedAt = Date.now();
    e.client = null;
    e.okStreak = 0;
    e.failStreak = 0;
    e.lastHealthyAt = Date.now();
    this.setState(e, 'starting');
    let origin: string | null = null;

    worker.on('message', (msg: EngineToParent) => {
      if (worker !== e.worker) return;
      if (msg.type === 'engine-listening') {
        origin = `http://${msg.host}:${msg.port}`;
      } else if (msg.type === 'engine-ready') {
        if (!origin) return;
        e.client = new EngineClient(origin, { token: this.localToken });
        e.runtime = msg.runtime;
        e.device = msg.device === 'cpu' && gpu ? `cpu (wanted ${spec.device})` : gpu ? spec.device : msg.device;
        e.lastHealthyAt = Date.now();
        this.setState(e, 'ready');
        void this.check(e); // learn its model hash now, not one health interval later
        this.opts.log('info', 'engine ready', { engine: spec.id, pid: e.pid, runtime: msg.runtime, device: e.device });
      } else if (msg.type === 'engine-failed') {
        e.lastError = msg.message.split('\n')[0] ?? msg.message;
      }
    });
    worker.on('exit', (code, signal) => {
      if (worker !== e.worker) return;
      this.onExit(e, code, signal);
    });
    worker.on('error', (err) => {
      e.lastError = err.message;
    });
  }

  private onExit(e: Engine, code: number | null, signal: string | null): void {
    e.lastExit = signal ?? `code ${code}`;
    e.pid = null;
    e.worker = null;
    const client = e.client;
    e.client = null;
    void client?.close().catch(() => {});
    if (this.stopping) {
      this.setState(e, 'stopped');
      return;
    }
    const now = Date.now();
    if (now - e.startedAt >= this.opts.config.stableMs) e.backoffMs = this.opts.config.restartBaseMs;
    e.exits = e.exits.filter((t) => now - t < this.opts.config.crashWindowMs);
    e.exits.push(now);
    let delay: number;
    if (e.exits.length >= this.opts.config.crashLoopCount) {
      this.setState(e, 'failed');
      delay = this.opts.config.restartMaxMs;
      this.opts.log('error', 'engine is crash-looping; slot marked failed, retrying slowly', { engine: e.spec.id, exits: e.exits.length, lastExit: e.lastExit });
    } else {
      this.setState(e, 'restarting');
      delay = e.backoffMs;
      e.backoffMs = Math.min(Math.max(1, e.backoffMs * 2), this.opts.config.restartMaxMs);
      this.opts.log('warn', 'engine exited; restarting', { engine: e.spec.id, lastExit: e.lastExit, delayMs: delay });
    }
    e.restartTimer = setTimeout(() => {
      e.restartTimer = null;
      if (this.stopping) return;
      e.restarts++;
      this.opts.metrics?.engineRestarts.inc({ engine: e.spec.id });
      this.fork(e);
    }, delay);
  }

  /** Kill a local engine now (hung, stalled); it is restarted like any other exit. */
  private kill(e: Engine, reason: string): void {
    if (e.spec.kind !== 'local' || !e.worker) {
      this.eject(e, reason);
      return;
    }
    this.opts.log('warn', 'killing engine', { engine: e.spec.id, pid: e.pid, reason });
    e.lastError = reason;
    this.setState(e, 'unhealthy');
    e.worker.process.kill('SIGKILL');
  }

  /** Passive ejection: a request to this engine failed; keep it out until health checks pass. */
  private eject(e: Engine, reason: string): void {
    e.lastError = reason;
    e.okStreak = 0;
    if (e.state === 'ready') this.setState(e, 'unhealthy');
  }

  private checkAll(): void {
    for (const e of this.engines) void this.check(e);
  }

  private async check(e: Engine): Promise<void> {
    const client = e.client;
    if (!client || e.state === 'restarting' || e.state === 'stopped') {
      // A local engine that never reports ready within the stall limit after loading is wedged.
      if (e.spec.kind === 'local' && e.state === 'starting' && e.worker && Date.now() - e.startedAt > Math.max(120_000, this.opts.config.stallTimeoutMs)) {
        this.kill(e, 'did not become ready in time');
      }
      return;
    }
    const { healthTimeoutMs, healthFall, healthRise, stallTimeoutMs, chunkTimeoutMs } = this.opts.config;
    try {
      const h = await client.health(healthTimeoutMs);
      if (client !== e.client) return;
      e.failStreak = 0;
      e.okStreak++;
      e.lastHealthyAt = Date.now();
      e.modelSha256 = typeof h.modelSha256 === 'string' ? h.modelSha256 : undefined;
      e.wideThreads = typeof h.wideThreads === 'number' ? h.wideThreads : 0;
      if (h.current && Date.now() - h.current.startedAt > chunkTimeoutMs) {
        this.kill(e, `chunk ${h.current.chunk} hung for ${Date.now() - h.current.startedAt} ms`);
        return;
      }
      if (e.spec.kind === 'remote' && e.state === 'starting' && h.state !== 'loading') {
        e.runtime = h.runtime;
        e.device = `remote ${h.device}`;
        this.setState(e, 'ready');
      } else if ((e.state === 'unhealthy' || (e.state === 'failed' && e.spec.kind === 'remote')) && e.okStreak >= healthRise && h.state !== 'loading') {
        this.setState(e, 'ready');
      }
    } catch (err) {
      if (client !== e.client) return;
      e.okStreak = 0;
      e.failStreak++;
      e.lastError = `health check: ${(err as Error).message}`;
      if (e.failStreak >= healthFall && e.state === 'ready') this.setState(e, 'unhealthy');
      if (e.spec.kind === 'local' && Date.now() - e.lastHealthyAt > stallTimeoutMs) {
        this.kill(e, `no health answer for ${Date.now() - e.lastHealthyAt} ms`);
      }
    }
  }

  /** Stop every engine (SIGTERM, then SIGKILL after graceMs). */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    if (this.healthTimer) clearInterval(this.healthTimer);
    const waits: Promise<void>[] = [];
    for (const e of this.engines) {
      if (e.restartTimer) clearTimeout(e.restartTimer);
      const w = e.worker;
      void e.client?.close().catch(() => {});
      if (!w) {
        this.setState(e, 'stopped');
        continue;
      }
      waits.push(new Promise<void>((resolve) => {
        const t = setTimeout(() => w.process.kill('SIGKILL'), graceMs);
        w.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        w.process.kill('SIGTERM');
      }));
    }
    await Promise.all(waits);
  }
}
