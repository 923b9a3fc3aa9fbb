// Starts a real engine process (dist/engine/main.js) for a test and always stops it.
import { fork, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { FrameDecoder, type Frame, type SynthesizeRequest } from '../../protocol/engine-wire.js';
import type { EngineToParent } from '../../protocol/engine-ipc.js';
import { distDir, modelsDir } from './paths.js';

export interface EngineProcess {
  child: ChildProcess;
  port: number;
  runtime: string;
  stop(): Promise<void>;
}

export async function startEngine(env: Record<string, string> = {}, timeoutMs = 180_000): Promise<EngineProcess> {
  const child = fork(join(distDir, 'engine/main.js'), [], {
    env: { ...process.env, KOKORO_MODELS_DIR: modelsDir, ENGINE_PORT: '0', ENGINE_THREADS: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
  try {
    const { port, runtime } = await new Promise<{ port: number; runtime: string }>((resolve, reject) => {
      let port = 0;
      const t = setTimeout(() => reject(new Error(`engine not ready in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
      child.on('message', (m: EngineToParent) => {
        if (m.type === 'engine-listening') port = m.port;
        if (m.type === 'engine-ready') {
          clearTimeout(t);
          resolve({ port, runtime: m.runtime });
        }
        if (m.type === 'engine-failed') reject(new Error(m.message));
      });
      child.once('exit', (code, sig) => reject(new Error(`engine exited (${code ?? sig}): ${stderr}`)));
    });
    return { child, port, runtime, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface JsonReply<T> {
  status: number;
  body: T;
}

export function getJson<T>(port: number, path: string): Promise<JsonReply<T>> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) as T }));
    }).on('error', reject).end();
  });
}

export interface SynthResult {
  status: number;
  frames: Frame[];
  /** Error body when the status is not 200. */
  error?: { code: string; message: string; param?: string };
}

/** POST /synthesize and collect every frame. `onFrame` may return 'abort' to hang up. */
export function synthesize(port: number, body: Partial<SynthesizeRequest> | string, onFrame?: (f: Frame) => void | 'abort'): Promise<SynthResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/synthesize', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      if (res.statusCode !== 200) {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode!, frames: [], error: JSON.parse(data) }));
        return;
      }
      const decoder = new FrameDecoder();
      const frames: Frame[] = [];
      res.on('data', (d: Buffer) => {
        for (const f of decoder.push(d)) {
          frames.push(f);
          if (onFrame?.(f) === 'abort') {
            req.destroy();
            resolve({ status: 200, frames });
          }
        }
      });
      res.on('end', () => resolve({ status: 200, frames }));
      res.on('error', () => resolve({ status: 200, frames }));
    });
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
    req.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
}
