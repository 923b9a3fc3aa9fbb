// A standalone engine for tests and benchmarks: dist/engine/main.js forked the way the gateway
// forks it (ENGINE_PORT=0, loopback, IPC messages), waited on until it says it is ready, and
// stopped by PID (SIGTERM, then SIGKILL after a grace period). This process's exit kills it too.
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { EngineToParent } from '../protocol/engine-ipc.js';
import { REPO_ROOT, devModelsDir } from '../models/paths.js';

export interface EngineOptions {
  /** ENGINE_THREADS (default 1). */
  threads?: number;
  /** ENGINE_ID (default: not set, the engine's own default). */
  id?: string;
  /** KOKORO_MODELS_DIR (default devModelsDir()). */
  modelsDir?: string;
  /** More environment, applied last (it may override anything above). */
  env?: Record<string, string>;
  /** How long loading may take (default 180 s). */
  readyTimeoutMs?: number;
  /** Called with the child right after fork (e.g. to register it for kill-at-exit elsewhere). */
  onSpawn?: (child: ChildProcess) => void;
}

export interface EngineProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** ONNX Runtime version from the ready message, e.g. `1.32.0`. */
  runtime: string;
  /** The last lines the engine printed (stdout and stderr). */
  logTail(lines?: number): string;
  /** SIGTERM, SIGKILL after graceMs (default 5 s); resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const TAIL_LINES = 100;

export async function startEngine(opts: EngineOptions = {}): Promise<EngineProcess> {
  const child = fork(resolve(REPO_ROOT, 'dist/engine/main.js'), [], {
    env: {
      ...process.env,
      KOKORO_MODELS_DIR: opts.modelsDir ?? devModelsDir(),
      ENGINE_PORT: '0',
      ENGINE_HOST: '127.0.0.1',
      ENGINE_THREADS: String(opts.threads ?? 1),
      ...(opts.id !== undefined ? { ENGINE_ID: opts.id } : {}),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  if (!child.pid) throw new Error('the engine did not start');
  opts.onSpawn?.(child);
  const pid = child.pid;
  const tail: string[] = [];
  const keep = (b: Buffer) => {
    for (const line of b.toString('utf8').split('\n')) if (line) tail.push(line);
    if (tail.length > TAIL_LINES) tail.splice(0, tail.length - TAIL_LINES);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const logTail = (lines = 40) => tail.slice(-lines).join('\n');
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const onExit = () => {
    if (!gone()) child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  const stop = (graceMs = 5000) =>
    new Promise<void>((done) => {
      process.off('exit', onExit);
      if (gone()) return done();
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(t);
        done();
      });
      child.kill('SIGTERM');
    });

  const timeoutMs = opts.readyTimeoutMs ?? 180_000;
  try {
    const { port, runtime } = await new Promise<{ port: number; runtime: string }>((res, rej) => {
      let port = 0;
      const t = setTimeout(() => rej(new Error(`engine not ready in ${timeoutMs} ms; its output:\n${logTail()}`)), timeoutMs);
      child.on('message', (m: EngineToParent) => {
        if (m.type === 'engine-listening') port = m.port;
        else if (m.type === 'engine-ready') {
          clearTimeout(t);
          if (!port) rej(new Error('engine was ready without telling its port'));
          else res({ port, runtime: m.runtime });
        } else if (m.type === 'engine-failed') {
          clearTimeout(t);
          rej(new Error(`engine failed: ${m.message}\n${logTail()}`));
        }
      });
      child.once('exit', (code, sig) => {
        clearTimeout(t);
        rej(new Error(`engine exited (${code ?? sig}) before it was ready; its output:\n${logTail()}`));
      });
    });
    return { child, pid, port, origin: `http://127.0.0.1:${port}`, runtime, logTail, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
