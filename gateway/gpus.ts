// GPU discovery for ENGINES=auto: nvidia-smi's list when it is there, else none.
import { execFileSync } from 'node:child_process';

export function detectGpus(): number[] {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader'], {
      encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.split('\n').map((l) => l.trim()).filter(Boolean).map(Number).filter((n) => Number.isInteger(n));
  } catch {
    return [];
  }
}
