// Signals, stream collection and process checks shared by the encoder tests.
import { readdirSync, readFileSync } from 'node:fs';
import { type Encoder } from '../../audio/encode/types.js';

export const RATE = 24000;

/** A linear sine sweep from f0 to f1 Hz, n samples at 24 kHz. */
export function sineSweep(n: number, f0: number, f1: number, amplitude = 12000): Int16Array {
  const out = new Int16Array(n);
  const seconds = n / RATE;
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    out[i] = Math.round(amplitude * Math.sin(2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * seconds))));
  }
  return out;
}

/** Feeds samples in uneven pieces (sizes from `pieces`, cycling), then ends. */
export async function feed(encoder: Encoder, samples: Int16Array, pieces = [997, 4801, 13, 24000, 7000]): Promise<void> {
  let pos = 0;
  for (let i = 0; pos < samples.length; i++) {
    const n = pieces[i % pieces.length];
    await encoder.write(samples.subarray(pos, pos + n));
    pos += n;
  }
  encoder.end();
}

/** All output bytes; rejects if the output errors or closes without a clean end. */
export function collect(encoder: Encoder): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    encoder.output.on('data', (c: Buffer) => chunks.push(c));
    encoder.output.once('end', () => resolve(Buffer.concat(chunks)));
    encoder.output.once('error', reject);
    encoder.output.once('close', () => reject(new Error('output closed without end')));
  });
}

/** Encodes samples and returns the bytes. */
export async function encode(encoder: Encoder, samples: Int16Array): Promise<Buffer> {
  const bytes = collect(encoder);
  await feed(encoder, samples);
  return bytes;
}

/** Normalised cross-correlation of two equal-length windows. */
export function correlation(a: Int16Array, b: Int16Array): number {
  const n = Math.min(a.length, b.length);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa && bb ? ab / Math.sqrt(aa * bb) : 0;
}

export function rms(a: Int16Array): number {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s / Math.max(1, a.length));
}

/** True while /proc/<pid> exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Waits (bounded) until a condition holds; throws with `what` if it never does. */
export async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** PIDs of live ffmpeg processes whose parent is this process. */
export function ffmpegChildren(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (comm === 'ffmpeg' && Number(ppid) === process.pid && state !== 'Z') out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
