// Starts the real gateway (dist/gateway/main.js) as a child process on a free loopback port,
// waits until it is ready, and stops it by PID: SIGTERM, then SIGKILL after a grace period.
// Every engine PID the tests ever saw is remembered; stop() reports any that outlived the
// gateway (and kills them, so a failing test never leaves processes behind).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devModelsDir } from '../../models/paths.js';

/** The repository root (this file runs from dist/test/support/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where the real model lives: KOKORO_MODELS_DIR, else ../shared/models next to the repo. */
export const modelsDir = devModelsDir();

export interface EngineRow {
  id: string;
  pid: number | null;
  state: string;
  inFlight: number;
  restarts: number;
  lastExit: string | null;
  lastError: string | null;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StopResult extends ExitInfo {
  /** True when SIGTERM was not enough and SIGKILL was sent. */
  forced: boolean;
  /** Engine PIDs seen while running that were still alive after the gateway exited. */
  survivors: number[];
}

export interface GatewayProcess {
  pid: number;
  port: number;
  url: string;
  /** Resolves when the gateway process has exited. */
  exited: Promise<ExitInfo>;
  /** Every engine PID seen so far (through engines()), with its start time. */
  readonly seenEnginePids: ReadonlyMap<number, string | null>;
  engines(): Promise<EngineRow[]>;
  /** Sum of every sample of a Prometheus metric whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Waits until pred(rows) holds (polling /v1/engines); throws with the last rows on timeout. */
  waitEngines(pred: (rows: EngineRow[]) => boolean, timeoutMs: number, what?: string): Promise<EngineRow[]>;
  /** The last lines the gateway (and its engines) printed. */
  logTail(lines?: number): string;
  stop(graceMs?: number): Promise<StopResult>;
}

export interface StartOptions {
  /** Environment on top of the defaults (HOST=127.0.0.1, a free PORT, ENGINES=2, models dir). */
  env?: Record<string, string>;
  /** How long start-up (model load) may take. */
  readyTimeoutMs?: number;
  /** Wait until every engine is ready, not just one (default true). */
  allReady?: boolean;
  /** Sent as a Bearer token on the helper's own requests (when API_KEYS is set). */
  apiKey?: string;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolvePort(port));
    });
  });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped) counts as gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** A process's start time (clock ticks since boot), to tell a PID from a later reuse of it. */
export function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Direct children of `ppid` from /proc: pid and command name. */
export function childrenOf(ppid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[1]) === ppid) out.push({ pid: Number(name), comm });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
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

export async function startGateway(opts: StartOptions = {}): Promise<GatewayProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string | undefined> = {
    ...process.env,
    KOKORO_MODELS_DIR: modelsDir,
    ENGINES: '2',
    LOG_LEVEL: 'info',
    ...opts.env,
    PORT: String(port),
    HOST: '127.0.0.1',
  };
  const child: ChildProcess = spawn(process.execPath, [resolve(repoRoot, 'dist/gateway/main.js')], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (!child.pid) throw new Error('the gateway did not start');
  const pid = child.pid;
  const tail: string[] = [];
  const keep = (b: Buffer) => {
    for (const line of b.toString('utf8').split('\n')) if (line) tail.push(line);
    if (tail.length > 400) tail.splice(0, tail.length - 400);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exit: ExitInfo | null = null;
  const exited = new Promise<ExitInfo>((r) => child.once('exit', (code, signal) => r((exit = { code, signal }))));
  const seen = new Map<number, string | null>();
  // Still the same process (not gone, not a PID reused by someone else's process)?
  const stillRunning = (p: number) => alive(p) && (seen.get(p) === null || startTime(p) === seen.get(p));
  // If the test process itself dies, the gateway (and with it, through the IPC channel, its
  // engines) must not outlive it.
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

  const gw: GatewayProcess = {
    pid,
    port,
    url,
    exited,
    seenEnginePids: seen,
    async engines() {
      const r = await get('/v1/engines');
      if (r.status !== 200) throw new Error(`/v1/engines answered ${r.status}`);
      const rows = (JSON.parse(r.text) as { engines: EngineRow[] }).engines;
      for (const e of rows) if (e.pid && !seen.has(e.pid)) seen.set(e.pid, startTime(e.pid));
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
        if (exit) throw new Error(`gateway exited (${exit.code ?? exit.signal}) while waiting for ${what}\n${gw.logTail(40)}`);
        rows = await gw.engines().catch((e: Error) => ((lastError = e.message), rows));
        if (pred(rows)) return rows;
        if (Date.now() > deadline) {
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(rows)} ${lastError}\n${gw.logTail(40)}`);
        }
        await sleep(200);
      }
    },
    logTail(lines = 60) {
      return tail.slice(-lines).join('\n');
    },
    async stop(graceMs = 40_000) {
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
      return { ...exit!, forced, survivors };
    },
  };

  const allReady = opts.allReady ?? true;
  const readyTimeout = opts.readyTimeoutMs ?? 240_000;
  try {
    await gw.waitEngines(
      (rows) => rows.length > 0 && (allReady ? rows.every((e) => e.state === 'ready') : rows.some((e) => e.state === 'ready')),
      readyTimeout,
      'engines to be ready',
    );
    const ready = await get('/ready');
    if (ready.status !== 200) throw new Error(`/ready answered ${ready.status} with engines ready`);
  } catch (err) {
    await gw.stop(5000);
    throw err;
  }
  return gw;
}

export interface SpeechResult {
  status: number;
  headers: Headers;
  body: Buffer;
  /** Milliseconds from sending to the first body byte (null if none). */
  firstByteMs: number | null;
}

/**
 * POST /v1/audio/speech with fetch and read the whole body. `onFirstBytes` runs once, when the
 * first body bytes arrived (the response keeps streaming meanwhile).
 */
export async function speech(
  url: string,
  body: Record<string, unknown>,
  opts: { timeoutMs?: number; onFirstBytes?: () => void | Promise<void>; signal?: AbortSignal } = {},
): Promise<SpeechResult> {
  const t0 = Date.now();
  const signal = opts.signal
    ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs ?? 120_000)])
    : AbortSignal.timeout(opts.timeoutMs ?? 120_000);
  const res = await fetch(`${url}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'kokoro', voice: 'af_heart', ...body }),
    signal,
  });
  const parts: Buffer[] = [];
  let firstByteMs: number | null = null;
  let hook: Promise<void> | undefined;
  if (res.body) {
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (part.length === 0) continue;
      parts.push(Buffer.from(part));
      if (firstByteMs === null) {
        firstByteMs = Date.now() - t0;
        // Run the hook beside the read, so the stream keeps flowing.
        if (opts.onFirstBytes) {
          hook = Promise.resolve().then(opts.onFirstBytes);
          hook.catch(() => {}); // awaited below; not unhandled meanwhile
        }
      }
    }
  }
  await hook;
  return { status: res.status, headers: res.headers, body: Buffer.concat(parts), firstByteMs };
}
