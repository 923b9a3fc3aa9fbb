// Starts our gateway for a run (free loopback port, 2 engines) and stops it by PID at the end:
// SIGTERM, then SIGKILL. The log goes to a file so the terminal stays readable.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './engines.js';
import { getText } from './http.js';

export interface GatewayOptions {
  repoRoot: string;
  engines: number;
  modelsDir: string;
  stallTimeoutMs: number;
  /** Extra environment (admission limits that make bursts overflow, log level...). */
  env: Record<string, string>;
  readyTimeoutMs: number;
}

export interface GatewayHandle {
  pid: number;
  base: URL;
  logFile: string;
  /** Set once the process has exited. */
  exit?: { code: number | null; signal: NodeJS.Signals | null; atMs: number };
  /** True if it exited before we asked it to. */
  crashed(): boolean;
  stop(graceMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; forced: boolean }>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startGateway(o: GatewayOptions): Promise<GatewayHandle> {
  const port = await freePort();
  const logFile = join(tmpdir(), `kokoro-stress-gateway-${port}.log`);
  const fd = openSync(logFile, 'w');
  const child: ChildProcess = spawn(process.execPath, [join(o.repoRoot, 'dist/gateway/main.js')], {
    cwd: o.repoRoot,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ENGINES: String(o.engines),
      KOKORO_MODELS_DIR: o.modelsDir,
      STALL_TIMEOUT_MS: String(o.stallTimeoutMs),
      ...o.env,
    },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  if (!child.pid) throw new Error('gateway did not start');
  const t0 = performance.now();
  let stopping = false;
  const handle: GatewayHandle = {
    pid: child.pid,
    base: new URL(`http://127.0.0.1:${port}`),
    logFile,
    crashed: () => !!handle.exit && !stopping,
    stop: async (graceMs) => {
      stopping = true;
      if (handle.exit) return { code: handle.exit.code, signal: handle.exit.signal, forced: false };
      child.kill('SIGTERM');
      const deadline = performance.now() + graceMs;
      while (!handle.exit && performance.now() < deadline) await sleep(100);
      let forced = false;
      if (!handle.exit) {
        forced = true;
        child.kill('SIGKILL');
        while (!handle.exit) await sleep(50);
      }
      const exit = handle.exit as GatewayHandle['exit'];
      return { code: exit?.code ?? null, signal: exit?.signal ?? null, forced };
    },
  };
  child.on('exit', (code, signal) => {
    handle.exit = { code, signal, atMs: performance.now() - t0 };
  });
  // A stress run interrupted by the user must not leave the gateway behind.
  process.once('exit', () => {
    if (!handle.exit) child.kill('SIGKILL');
  });

  const deadline = performance.now() + o.readyTimeoutMs;
  while (performance.now() < deadline) {
    if (handle.exit) throw new Error(`gateway exited during start-up (code ${handle.exit.code}, signal ${handle.exit.signal}); log: ${logFile}`);
    const r = await getText(handle.base, '/ready', 2000).catch(() => ({ status: 0, text: '' }));
    if (r.status === 200) return handle;
    await sleep(500);
  }
  await handle.stop(5000);
  throw new Error(`gateway not ready within ${o.readyTimeoutMs} ms; log: ${logFile}`);
}
