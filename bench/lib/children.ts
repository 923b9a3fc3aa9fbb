// One-shot helper processes (baseline children, python): run to completion, killed by PID
// if this process dies first.
import { spawn, spawnSync } from 'node:child_process';
import { track } from './common.js';

export interface ChildResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export function runChild(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
    child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString('utf8')).slice(-8000); });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface PythonInfo {
  python: string;
  /** onnxruntime version, when importable. */
  ortVersion?: string;
  /** Why it cannot be used, when it cannot. */
  problem?: string;
}

/** Is `python3` (or BENCH_PYTHON) there with onnxruntime and numpy importable? */
export function detectPython(): PythonInfo {
  const python = process.env.BENCH_PYTHON || 'python3';
  const r = spawnSync(python, ['-c', 'import numpy, onnxruntime; print(onnxruntime.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return { python, problem: `${python} not found (${r.error.message})` };
  if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop() ?? '';
    return { python, problem: `onnxruntime is not importable in ${python}: ${last}` };
  }
  return { python, ortVersion: r.stdout.trim() };
}
