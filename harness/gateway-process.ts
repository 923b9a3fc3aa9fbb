// The one way tests, the stress suite and the benchmarks run our gateway: the compiled
// dist/gateway/main.js as a child process on a free loopback port, waited on until it is ready,
// and stopped by PID (SIGTERM, then SIGKILL after a grace period). Every engine PID the helper
// ever saw (through engines()) is remembered with its start time; stop() reports any that
// outlived the gateway and kills them, and so does this process's exit, so nothing is left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT, devModelsDir } from '../models/paths.js';
import { alive, freePort, sleep, startTime } from './procs.js';

/** A row of GET /v1/engines (the fields the harness and its callers read). */
export interface EngineRow {
  id: string;
  kind?: 'local' | 'remote';
  pid: number | null;
  state: string;
  device?: string;
  threads: number;
  runtime: string | null;
  inFlight: number;
  restarts: number;
  lastExit: string | null;
  lastError: string | null;
  url: string | null;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StopResult extends ExitInfo {
  /** True when SIGTERM was not enough and SIGKILL was sent. */
  forced: boolean;
  /** Engine PIDs seen while running that were still alive 3 s after the gateway exited (then killed). */
  survivors: number[];
}

/**
 * When start-up counts as done:
 * - 'ready': GET /ready answers 200;
 * - 'all-engines': at least one engine is listed and every listed engine is ready, and /ready answers 200;
 * - 'any-engine': at least one listed engine is ready, and /ready answers 200;
 * - a function: it holds for the rows of GET /v1/engines, and /ready answers 200.
 */
export type ReadyWhen = 'ready' | 'all-engines' | 'any-engine' | ((rows: EngineRow[]) => boolean);

export interface GatewayOptions {
  /** ENGINES (default 2). */
  engines?: number;
  /** ENGINE_THREADS (default: not set, the gateway's own default). */
  threads?: number;
  /** KOKORO_MODELS_DIR (default devModelsDir()). */
  modelsDir?: string;
  /** STALL_TIMEOUT_MS (default: not set). */
  stallTimeoutMs?: number;
  /** LOG_LEVEL (default: not set, i.e. inherited or the gateway's default). */
  logLevel?: string;
  /**
   * More environment, applied over the variables above (it may override ENGINES, LOG_LEVEL...).
   * PORT and HOST always come from the helper: a free port on 127.0.0.1.
   */
  env?: Record<string, string>;
  /** Sent as a Bearer token on the helper's own requests (when API_KEYS is set). */
  apiKey?: string;
  /** When start-up is done (default 'all-engines'). */
  readyWhen?: ReadyWhen;
  /** How long start-up (model load) may take (default 240 s). */
  readyTimeoutMs?: number;
  /**
   * Send the gateway's stdout and stderr to this file (a function gets the port, to name it);
   * by default the helper keeps the last 400 lines in memory. logTail() reads either.
   */
  logFile?: string | ((port: number) => string);
  /** The checkout whose dist/gateway/main.js runs (default this one): bench:memory's baseline build. */
  root?: string;
  /** Called with the child right after spawn (e.g. to register it for kill-at-exit elsewhere). */
  onSpawn?: (child: ChildProcess) => void;
}

export interface GatewayProcess {
  pid: number;
  port: number;
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  /** The same, as a URL. */
  base: URL;
  /** The log file, when logFile was given. */
  logFile?: string;
  /** The rows of GET /v1/engines when start-up was done. */
  readonly enginesAtReady: EngineRow[];
  /** Set once the process has exited; atMs counts from spawn. */
  readonly exit: (ExitInfo & { atMs: number }) | undefined;
  /** Resolves when the gateway process has exited. */
  exited: Promise<ExitInfo>;
  /** True if it exited before stop() was called. */
  crashed(): boolean;
  /** Every engine PID seen so far (through engines()), with its start time. */
  readonly seenEnginePids: ReadonlyMap<number, number | null>;
  /** GET /v1/engines (and remember the engine PIDs). */
  engines(): Promise<EngineRow[]>;
  /** Sum of every sample of a Prometheus metric whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Waits until pred(rows) holds (polling /v1/engines); throws with the last rows on timeout. */
  waitEngines(pred: (rows: EngineRow[]) => boolean, timeoutMs: number, what?: string): Promise<EngineRow[]>;
  /** The last lines the gateway (and its engines) printed. */
  logTail(lines?: number): string;
  /** SIGTERM, SIGKILL after graceMs (default 40 s); waits for the exit, then reaps engine survivors. */
  stop(graceMs?: number): Promise<StopResult>;
}

/** Sums the samples of `name` (exact metric name) whose labels include `labels`. */
export function sumMetric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const l of (m[2] ?? '').slice(1, -1).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) have[l[1]!] = l[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

const TAIL_LINES = 400;

export async function startGateway(opts: GatewayOptions = {}): Promise<GatewayProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string | undefined> = {
    ...process.env,
    KOKORO_MODELS_DIR: opts.modelsDir ?? devModelsDir(),
    ENGINES: String(opts.engines ?? 2),
    ...(opts.threads !== undefined ? { ENGINE_THREADS: String(opts.threads) } : {}),
    ...(opts.stallTimeoutMs !== undefined ? { STALL_TIMEOUT_MS: String(opts.stallTimeoutMs) } : {}),
    ...(opts.logLevel !== undefined ? { LOG_LEVEL: opts.logLevel } : {}),
    ...opts.env,
    PORT: String(port),
    HOST: '127.0.0.1',
  };
  const logFile = typeof opts.logFile === 'function' ? opts.logFile(port) : opts.logFile;
  const fd = logFile ? openSync(logFile, 'w') : undefined;
  let child: ChildProcess;
  try {
    const root = opts.root ?? REPO_ROOT;
    child = spawn(process.execPath, [resolve(root, 'dist/gateway/main.js')], {
      cwd: root,
      env,
      stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd],
    });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (!child.pid) throw new Error('the gateway did not start');
  opts.onSpawn?.(child);
  const pid = child.pid;
  const t0 = performance.now();
  const tail: string[] = [];
  if (fd === undefined) {
    const keep = (b: Buffer) => {
      for (const line of b.toString('utf8').split('\n')) if (line) tail.push(line);
      if (tail.length > TAIL_LINES) tail.splice(0, tail.length - TAIL_LINES);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
  }
  let exit: (ExitInfo & { atMs: number }) | undefined;
  let stopping = false;
  const exited = new Promise<ExitInfo>((r) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal, atMs: performance.now() - t0 };
      r({ code, signal });
    }),
  );
  const seen = new Map<number, number | null>();
  // Still the same process (not gone, not a PID reused by someone else's process)?
  const stillRunning = (p: number) => alive(p) && (seen.get(p) === null || startTime(p) === seen.get(p));
  // If this process dies, the gateway (and with it, through the IPC channel, its engines) must
  // not outlive it.
  const onExit = () => {
    if (!exit) child.kill('SIGKILL');
    for (const p of seen.keys()) if (stillRunning(p)) process.kill(p, 'SIGKILL');
  };
  process.once('exit', onExit);

  const get = async (path: string, timeoutMs = 5000) => {
    const headers: Record<string, string> = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
    const res = await fetch(url + path, { headers, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text() };
  };
  const logHint = () => (logFile ? `log: ${logFile}` : gw.logTail(40));

  let enginesAtReady: EngineRow[] = [];
  const gw: GatewayProcess = {
    pid,
    port,
    url,
    base: new URL(url),
    logFile,
    get enginesAtReady() {
      return enginesAtReady;
    },
    get exit() {
      return exit;
    },
    exited,
    crashed: () => !!exit && !stopping,
    seenEnginePids: seen,
    async engines() {
      const r = await get('/v1/engines');
      if (r.status !== 200) throw new Error(`/v1/engines answered ${r.status}`);
      const rows = (JSON.parse(r.text) as { engines: EngineRow[] }).engines ?? [];
      // Local engines only (a remote engine's PID, if any, is not ours to stop).
      for (const e of rows) {
        if (e.pid && e.kind !== 'remote' && e.pid !== process.pid && !seen.has(e.pid)) seen.set(e.pid, startTime(e.pid));
      }
      return rows;
    },
    async metric(name, labels) {
      const r = await get('/metrics');
      return sumMetric(r.text, name, labels);
    },
    async waitEngines(pred, timeoutMs, what = 'engine state') {
      const deadline = Date.now() + timeoutMs;
      let rows: EngineRow[] = [];
      let lastError = '';
      for (;;) {
        if (exit) throw new Error(`gateway exited (${exit.code ?? exit.signal}) while waiting for ${what}\n${logHint()}`);
        rows = await gw.engines().catch((e: Error) => ((lastError = e.message), rows));
        if (pred(rows)) return rows;
        if (Date.now() > deadline) {
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(rows)} ${lastError}\n${logHint()}`);
        }
        await sleep(200);
      }
    },
    logTail(lines = 60) {
      if (!logFile) return tail.slice(-lines).join('\n');
      try {
        return readFileSync(logFile, 'utf8').split('\n').filter(Boolean).slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
    async stop(graceMs = 40_000) {
      stopping = true;
      // Learn the current engine PIDs before asking it to go.
      if (!exit) await gw.engines().catch(() => {});
      let forced = false;
      if (!exit) {
        child.kill('SIGTERM');
        const t = setTimeout(() => {
          forced = true;
          child.kill('SIGKILL');
        }, graceMs);
        await exited;
        clearTimeout(t);
      }
      // Engines notice the parent's IPC channel closing; give them a moment.
      const deadline = Date.now() + 3000;
      while ([...seen.keys()].some(stillRunning) && Date.now() < deadline) await sleep(50);
      const survivors = [...seen.keys()].filter(stillRunning);
      for (const p of survivors) process.kill(p, 'SIGKILL');
      process.off('exit', onExit);
      return { code: exit!.code, signal: exit!.signal, forced, survivors };
    },
  };

  const readyWhen = opts.readyWhen ?? 'all-engines';
  const readyTimeout = opts.readyTimeoutMs ?? 240_000;
  try {
    if (readyWhen === 'ready') {
      const deadline = Date.now() + readyTimeout;
      for (;;) {
        if (exit) throw new Error(`gateway exited during start-up (code ${exit.code}, signal ${exit.signal})\n${logHint()}`);
        const r = await get('/ready', 2000).catch(() => ({ status: 0, text: '' }));
        if (r.status === 200) break;
        if (Date.now() > deadline) throw new Error(`gateway not ready within ${readyTimeout} ms\n${logHint()}`);
        await sleep(200);
      }
      enginesAtReady = await gw.engines().catch(() => []);
    } else {
      const pred: (rows: EngineRow[]) => boolean =
        readyWhen === 'all-engines' ? (rows) => rows.length > 0 && rows.every((e) => e.state === 'ready')
        : readyWhen === 'any-engine' ? (rows) => rows.some((e) => e.state === 'ready')
        : readyWhen;
      enginesAtReady = await gw.waitEngines(pred, readyTimeout, 'engines to be ready');
      const ready = await get('/ready');
      if (ready.status !== 200) throw new Error(`/ready answered ${ready.status} with engines ready`);
    }
  } catch (err) {
    await gw.stop(5000);
    throw err;
  }
  return gw;
}
