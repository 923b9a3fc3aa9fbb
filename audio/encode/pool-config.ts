// Warm pool sizes from the environment: ENCODER_POOL sets every key, ENCODER_POOL_<KEY>
// one of them (ENCODER_POOL_MP3, ENCODER_POOL_MP3_FILE, ...); 0 disables.
import { POOL_KEYS, type PoolKey } from './factory.js';

export function poolSizesFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<Record<PoolKey, number>> {
  const out: Partial<Record<PoolKey, number>> = {};
  const parse = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 64) throw new Error(`${name} must be an integer 0..64, got "${raw}"`);
    return n;
  };
  const all = parse('ENCODER_POOL');
  for (const key of POOL_KEYS) {
    const one = parse(`ENCODER_POOL_${key.replace(':', '_').toUpperCase()}`);
    const size = one ?? all;
    if (size !== undefined) out[key] = size;
  }
  return out;
}
