// Engine and gateway processes for the benchmarks: started from dist/, on loopback only,
// registered for kill-by-PID at exit, and stopped by PID when a section is done.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { EngineToParent } from '../../protocol/engine-ipc.js';
import type { EngineHealth } from '../../protocol/engine-wire.js';
import { DIST, modelsDir, procStatusBytes, sleep, stopPid, track, trackPid } from './common.js';
import { getJson } from './http.js';

/** Keeps the last lines a child wrote, to show when it fails. */
class Tail {
  private lines: string[] = [];
  push(d: Buffer): void {
    this.lines.push(...d.toString('utf8').split('\n').filter(Boolean));
    if (this.lines.length > 40) this.lines = this.lines.slice(-40);
  }
  toString(): string {
    return this.lines.join('\n');
  }
}

export interface EngineProc {
  pid: number;
  origin: string;
  /** ONNX Runtime version from the ready message, e.g. `1.32.0`. */
  runtime: string;
  health(): Promise<EngineHealth>;
  peakRss(): number | undefined;
  stop(): Promise<void>;
}

/** Forks dist/engine/main.js the way the gateway does (ENGINE_PORT=0, IPC messages). */
export async function startEngine(opts: { threads: number; env?: Record<string, string>; timeoutMs?: number }): Promise<EngineProc> {
  const child: ChildProcess = fork(resolve(DIST, 'engine/main.js'), [], {
    env: {
      ...process.env,
      KOKORO_MODELS_DIR: modelsDir(),
      ENGINE_THREADS: String(opts.threads),
      ENGINE_PORT: '0',
      ENGINE_HOST: '127.0.0.1',
      ENGINE_ID: `bench-${opts.threads}t`,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  track(child);
  const tail = new Tail();
  child.stdout!.on('data', (d: Buffer) => tail.push(d));
  child.stderr!.on('data', (d: Buffer) => tail.push(d));
  const pid = child.pid!;
  let origin = '';
  const ready = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`engine did not become ready in time; its output:\n${tail}`)), opts.timeoutMs ?? 300_000);
    child.on('message', (msg: EngineToParent) => {
      if (msg.type === 'engine-listening') origin = `http://127.0.0.1:${msg.port}`;
      else if (msg.type === 'engine-ready') {
        clearTimeout(timer);
        res(msg.runtime);
      } else if (msg.type === 'engine-failed') {
        clearTimeout(timer);
        rej(new Error(`engine failed: ${msg.message}\n${tail}`));
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      rej(new Error(`engine exited (${code ?? sig}) before it was ready; its output:\n${tail}`));
    });
  });
  if (!origin) throw new Error('engine was ready without telling its port');
  return {
    pid,
    origin,
    runtime: ready,
    health: async () => (await getJson<EngineHealth>(`${origin}/health`)).body,
    peakRss: () => procStatusBytes(pid, 'VmHWM'),
    stop: async () => {
      child.disconnect?.();
      await stopPid(pid);
    },
  };
}

/** Waits until an engine has no request and no chunk in progress (after an aborted stream). */
export async function waitEngineIdle(origin: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const h = (await getJson<EngineHealth>(`${origin}/health`)).body;
    if (h.activeRequests === 0 && h.current === null) return;
    if (Date.now() > until) throw new Error(`engine ${origin} still busy after ${timeoutMs} ms`);
    await sleep(10);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export interface EngineRow {
  id: string;
  pid: number | null;
  state: string;
  threads: number;
  runtime: string | null;
  url: string | null;
}

export interface GatewayProc {
  pid: number;
  origin: string;
  engines: EngineRow[];
  /** Peak RSS of each engine process (VmHWM), by engine id. */
  enginePeakRss(): Record<string, number | undefined>;
  stop(): Promise<void>;
}

/** Spawns dist/gateway/main.js with ENGINES × ENGINE_THREADS on loopback; waits until every engine is ready. */
export async function startGateway(opts: {
  engines: number; threads: number; env?: Record<string, string>; timeoutMs?: number;
  /** Engine rows to wait for (default `engines`; remote engines from ENGINE_URLS count too). */
  expectEngines?: number;
}): Promise<GatewayProc> {
  const port = await freePort();
  const child = spawn(process.execPath, [resolve(DIST, 'gateway/main.js')], {
    env: {
      ...process.env,
      KOKORO_MODELS_DIR: modelsDir(),
      PORT: String(port),
      HOST: '127.0.0.1',
      ENGINES: String(opts.engines),
      ENGINE_THREADS: String(opts.threads),
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  const tail = new Tail();
  child.stdout.on('data', (d: Buffer) => tail.push(d));
  child.stderr.on('data', (d: Buffer) => tail.push(d));
  const pid = child.pid!;
  const origin = `http://127.0.0.1:${port}`;
  let exited: string | null = null;
  child.once('exit', (code, sig) => { exited = String(code ?? sig); });
  const until = Date.now() + (opts.timeoutMs ?? 300_000);
  let engines: EngineRow[] = [];
  for (;;) {
    if (exited !== null) throw new Error(`gateway exited (${exited}) before it was ready; its output:\n${tail}`);
    if (Date.now() > until) throw new Error(`gateway engines not ready in time; its output:\n${tail}`);
    try {
      const r = await getJson<{ engines: EngineRow[] }>(`${origin}/v1/engines`, 2000);
      engines = r.body.engines ?? [];
      for (const e of engines) if (e.pid) trackPid(e.pid);
      if (engines.length === (opts.expectEngines ?? opts.engines) && engines.every((e) => e.state === 'ready' && e.url)) break;
    } catch { /* not listening yet */ }
    await sleep(200);
  }
  return {
    pid,
    origin,
    engines,
    enginePeakRss: () => Object.fromEntries(engines.map((e) => [e.id, e.pid ? procStatusBytes(e.pid, 'VmHWM') : undefined])),
    stop: async () => {
      await stopPid(pid, 15_000);
      // The gateway stops its engines on SIGTERM; make sure none outlives it.
      for (const e of engines) if (e.pid) await stopPid(e.pid, 2000);
    },
  };
}
