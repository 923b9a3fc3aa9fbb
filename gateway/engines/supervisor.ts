// Keeps engines alive. Local engines are cluster workers forked from this process (the
// cluster primary); remote engines are URLs. Every engine gets active health checks; a local
// engine that exits is restarted with exponential backoff (reset after a stable run), a crash
// loop marks its slot failed (still retried, slowly), and a local engine that stops answering
// (SIGSTOP, a wedged process) or whose chunk hangs is killed and restarted.
import cluster, { type Worker } from 'node:cluster';
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
  runtime: string | null;
  state: EngineState;
  inFlight: number;
  restarts: number;
  lastExit: string | null;
  lastError: string | null;
  uptimeSeconds: number | null;
  url: string | null;
}

export class Engine {
  state: EngineState = 'starting';
  pid: number | null = null;
  client: EngineClient | null = null;
  worker: Worker | null = null;
  inFlight = 0;
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
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/** Emits 'change' whenever an engine's state changes. */
export class Supervisor extends EventEmitter {
  readonly engines: Engine[];
  private healthTimer: NodeJS.Timeout | null = null;
  private stopping = false;

  constructor(private readonly opts: SupervisorOptions) {
    super();
    this.setMaxListeners(0);
    this.engines = opts.config.slots.map((s) => new Engine(s, opts.config.restartBaseMs));
  }

  start(): void {
    cluster.setupPrimary({ exec: this.opts.engineMain, args: [], silent: false });
    for (const e of this.engines) {
      if (e.spec.kind === 'local') this.fork(e);
      else {
        e.client = new EngineClient(e.spec.url!);
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

  rows(): EngineStatusRow[] {
    return this.engines.map((e) => e.row());
  }

  private setState(e: Engine, state: EngineState): void {
    if (e.state === state) return;
    e.state = state;
    this.opts.metrics?.enginesReady.set(this.readyCount());
    this.emit('change', e);
  }

  private fork(e: Engine): void {
    const { spec } = e;
    const env: Record<string, string> = {
      ...this.opts.engineEnv,
      ENGINE_ID: spec.id,
      ENGINE_HOST: '127.0.0.1',
      ENGINE_PORT: '0',
      ENGINE_THREADS: String(spec.threads),
      ENGINE_DEVICE: 'cpu',
      ENGINE_HEARTBEAT_MS: String(Math.max(100, Math.min(1000, Math.floor(this.opts.config.stallTimeoutMs / 4)))),
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
        e.client = new EngineClient(origin);
        e.runtime = msg.runtime;
        e.device = msg.device === 'cpu' && gpu ? `cpu (wanted ${spec.device})` : gpu ? spec.device : msg.device;
        e.lastHealthyAt = Date.now();
        this.setState(e, 'ready');
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
  kill(e: Engine, reason: string): void {
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
  eject(e: Engine, reason: string): void {
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
