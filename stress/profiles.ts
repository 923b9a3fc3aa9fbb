// Named run shapes. short: the CI gate (≤ 5 min on 2 cores). long: a soak with memory drift.
import type { ProcessFault } from './faults.js';

export interface Profile {
  name: string;
  durationS: number;
  concurrency: number;
  burstSize: number;
  faults: Record<ProcessFault, number>;
  memorySampleS: number;
  /** Gateway settings for our own gateway: low admission limits so bursts overflow on purpose. */
  gatewayEnv: Record<string, string>;
}

const gatewayEnv = {
  // The corpus repeats its texts: with the chunk cache on, most requests never reach an engine
  // and the engine faults land on idle engines (0 resumes in a run). Off, every fault meets real
  // synthesis. The cache has its own tests (test/gateway/chunks.test.ts).
  CACHE_MB: '0',
  MAX_CONCURRENT: '8',
  QUEUE_SIZE: '4',
  QUEUE_WAIT_MS: '20000',
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
  },
  long: {
    name: 'long',
    durationS: 1260,
    concurrency: 5,
    burstSize: 10,
    faults: { engineSigkill: 6, engineSigsegv: 6, engineStall: 4, encoderKill: 8, burst: 8 },
    memorySampleS: 30,
    gatewayEnv,
  },
};
