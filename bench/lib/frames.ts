// Loudness per 10 ms frame, for the benchmarks that look at silence around chunk edges.
import { SAMPLE_RATE } from '../../protocol/constants.js';

export const FRAME = SAMPLE_RATE / 100; // 10 ms

/** RMS of each whole 10 ms frame of float samples. */
export function frameRms(x: Float32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + FRAME <= x.length; i += FRAME) {
    let s = 0;
    for (let j = i; j < i + FRAME; j++) s += x[j]! * x[j]!;
    out.push(Math.sqrt(s / FRAME));
  }
  return out;
}
