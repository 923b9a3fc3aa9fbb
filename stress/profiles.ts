// Named run shapes. short: the CI gate (≤ 5 min on 2 cores). long: a soak with memory drift.
// fast: two fast fake engines (harness/fake-engine.ts) instead of real ones, so producers
// outrun consumers as on a GPU, with huge whole-file requests and more stalling and trickling
// clients; engine process faults need real engine processes and are off there.
import type { ProcessFault } from './faults.js';
import { DEFAULT_MIX, FAST_MIX, type LoadMix } from './load.js';

export interface Profile {
  name: string;
  durationS: number;
  concurrency: number;
  burstSize: number;
  faults: Record<ProcessFault, number>;
  memorySampleS: number;
  /** Gateway settings for our own gateway: low admission limits so bursts overflow on purpose. */
  gatewayEnv: Record<string, string>;
  /** Real engine processes, or two fast fake engines on loopback. */
  engines: 'real' | 'fake';
  mix: LoadMix;
}

const gatewayEnv = {
  // The corpus repeats its texts: with the chunk cache on, most requests never reach an engine
  // and the engine faults land on idle engines (0 resumes in a run). Off, every fault meets real
  // synthesis. The cache has its own tests (test/gateway/chunks.test.ts).
  CACHE_MB: '0',
  MAX_CONCURRENT: '8',
  QUEUE_SIZE: '4',
  QUEUE_WAIT_MS: '20000',
  // Stalling clients stop reading for 8 s (stress/client.ts): the gateway cuts them after 3.
  CLIENT_STALL_MS: '3000',
  LOG_LEVEL: 'info',
};

export const PROFILES: Record<string, Profile> = {
  short: {
    name: 'short',
    durationS: 150,
    concurrency: 4,
    burstSize: 10,
    faults: { engineSigkill: 2, engineSigsegv: 1, engineStall: 1, encoderKill: 2, burst: 2 },
    memorySampleS: 10,
    gatewayEnv,
    engines: 'real',
    mix: DEFAULT_MIX,
  },
  fast: {
    name: 'fast',
    durationS: 120,
    concurrency: 6,
    burstSize: 10,
    faults: { engineSigkill: 0, engineSigsegv: 0, engineStall: 0, encoderKill: 2, burst: 2 },
    memorySampleS: 10,
    // Small per-request memory so slow clients' output spills to disk.
    gatewayEnv: { ...gatewayEnv, REQUEST_BUFFER_KB: '256' },
    engines: 'fake',
    mix: FAST_MIX,
  },
  long: {
    name: 'long',
    durationS: 1260,
    concurrency: 5,
    burstSize: 10,
    faults: { engineSigkill: 6, engineSigsegv: 6, engineStall: 4, encoderKill: 8, burst: 8 },
    memorySampleS: 30,
    gatewayEnv,
    engines: 'real',
    mix: DEFAULT_MIX,
  },
};
