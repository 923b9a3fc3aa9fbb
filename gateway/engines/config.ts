// Supervision, routing and retry settings, from the environment. Documented in the README.
import { availableParallelism } from 'node:os';
import { type AudioFormat } from '../../audio/encode/types.js';

export interface SlotSpec {
  id: string;
  kind: 'local' | 'remote';
  /** `cpu` or `cuda:N` (N = the physical GPU; the engine sees it as cuda:0). */
  device: string;
  threads: number;
  /** Remote engines: their base URL. */
  url?: string;
  /** Requests routed to this engine at once (it interleaves them chunk by chunk). */
  maxInFlight: number;
}

// A CPU engine runs ~3x realtime per thread: two streams each stay ahead of playback.
// A GPU engine is tens of times faster. Remote engines: unknown, a middle value.
const DEFAULT_INFLIGHT = { cpu: 2, gpu: 8, remote: 4 };

export interface SupervisionConfig {
  slots: SlotSpec[];
  healthIntervalMs: number;
  healthTimeoutMs: number;
  /** Consecutive failed checks that take an engine out of rotation. */
  healthFall: number;
  /** Consecutive good checks that bring it back. */
  healthRise: number;
  /** No byte from an engine stream (or no health answer from a local engine) this long: kill it. */
  stallTimeoutMs: number;
  /** One chunk's inference may take this long before the engine is deemed hung. */
  chunkTimeoutMs: number;
  restartBaseMs: number;
  restartMaxMs: number;
  /** An engine that ran this long resets its backoff. */
  stableMs: number;
  /** This many exits within crashWindowMs marks the slot failed (retried every restartMaxMs). */
  crashLoopCount: number;
  crashWindowMs: number;
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** Retries allowed per minute: this fraction of requests, plus retryBudgetMin. */
  retryBudgetRatio: number;
  retryBudgetMin: number;
  /** How long a request may wait for a ready engine before 503. */
  engineWaitMs: number;
  /** SIGTERM: how long in-flight requests may take to finish. */
  drainMs: number;
}

export interface AdmissionConfig {
  global: number;
  perFormat: Record<AudioFormat, number>;
  queueSize: number;
  maxWaitMs: number;
}

type Env = Record<string, string | undefined>;

function num(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, got '${raw}'`);
  return n;
}

/** GPUs as a list of indexes: GPUS=0,1 or detected by the caller (nvidia-smi). */
export function planSlots(env: Env, detectedGpus: number[], cores = availableParallelism()): SlotSpec[] {
  const slots: SlotSpec[] = [];
  const engines = (env.ENGINES ?? 'auto').trim();
  const gpus = env.GPUS?.trim() ? env.GPUS.split(',').map((g) => Number(g.trim())) : detectedGpus;
  if (gpus.some((g) => !Number.isInteger(g) || g < 0)) throw new Error(`GPUS must be a comma list of GPU indexes, got '${env.GPUS}'`);
  const perGpu = num(env, 'ENGINES_PER_GPU', 1, 1);
  const threadsEnv = env.ENGINE_THREADS?.trim();
  const inflight = (kind: keyof typeof DEFAULT_INFLIGHT) =>
    env.ENGINE_MAX_INFLIGHT?.trim() ? num(env, 'ENGINE_MAX_INFLIGHT', 1, 1) : DEFAULT_INFLIGHT[kind];

  if (engines !== '0' && gpus.length > 0 && (engines === 'auto' || env.GPUS)) {
    for (const g of gpus) {
      for (let k = 0; k < perGpu; k++) slots.push({ id: `gpu${g}-${k}`, kind: 'local', device: `cuda:${g}`, threads: threadsEnv ? num(env, 'ENGINE_THREADS', 1, 1) : 1, maxInFlight: inflight('gpu') });
    }
  } else if (engines !== '0') {
    // CPU: on this 2-core class of machine two 1-thread engines beat one 2-thread engine on
    // throughput under concurrency, and one engine can serve while the other restarts.
    const count = engines === 'auto' ? Math.max(2, Math.floor(cores / 2)) : num(env, 'ENGINES', 2, 1);
    if (!Number.isInteger(count)) throw new Error(`ENGINES must be a whole number or 'auto', got '${engines}'`);
    const threads = threadsEnv ? num(env, 'ENGINE_THREADS', 1, 1) : Math.max(1, Math.floor(cores / count));
    for (let i = 0; i < count; i++) slots.push({ id: `cpu${i}`, kind: 'local', device: 'cpu', threads, maxInFlight: inflight('cpu') });
  }
  const urls = (env.ENGINE_URLS ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  urls.forEach((url, i) => {
    const parsed = new URL(url); // throws on a malformed URL, at start-up
    slots.push({ id: `remote${i}`, kind: 'remote', device: 'remote', threads: 0, url: parsed.origin, maxInFlight: inflight('remote') });
  });
  if (slots.length === 0) throw new Error('no engines configured: set ENGINES or ENGINE_URLS');
  return slots;
}

export function loadSupervisionConfig(env: Env, detectedGpus: number[]): SupervisionConfig {
  return {
    slots: planSlots(env, detectedGpus),
    healthIntervalMs: num(env, 'HEALTH_INTERVAL_MS', 2000, 50),
    healthTimeoutMs: num(env, 'HEALTH_TIMEOUT_MS', 1000, 10),
    healthFall: num(env, 'HEALTH_FALL', 2, 1),
    healthRise: num(env, 'HEALTH_RISE', 1, 1),
    stallTimeoutMs: num(env, 'STALL_TIMEOUT_MS', 10_000, 100),
    chunkTimeoutMs: num(env, 'CHUNK_TIMEOUT_MS', 120_000, 100),
    restartBaseMs: num(env, 'RESTART_BASE_MS', 250, 0),
    restartMaxMs: num(env, 'RESTART_MAX_MS', 30_000, 0),
    stableMs: num(env, 'RESTART_STABLE_MS', 60_000, 0),
    crashLoopCount: num(env, 'CRASH_LOOP_COUNT', 5, 1),
    crashWindowMs: num(env, 'CRASH_LOOP_WINDOW_MS', 60_000, 1),
    maxAttempts: num(env, 'MAX_ATTEMPTS', 3, 1),
    retryBudgetRatio: num(env, 'RETRY_BUDGET_RATIO', 0.2, 0),
    retryBudgetMin: num(env, 'RETRY_BUDGET_MIN', 10, 0),
    engineWaitMs: num(env, 'ENGINE_WAIT_MS', 15_000, 0),
    drainMs: num(env, 'DRAIN_MS', 30_000, 0),
  };
}

/**
 * `capacity` is what the engines take at once (the sum of their in-flight caps): by default the
 * global limit equals it, so requests beyond it wait in the admission queue (429 when it is full
 * or the wait runs out), not in front of busy engines. Per-format defaults reflect encoder cost.
 */
export function loadAdmissionConfig(env: Env, capacity = 32): AdmissionConfig {
  const f = (format: AudioFormat, fallback: number) => num(env, `LIMIT_${format.toUpperCase()}`, fallback, 1);
  return {
    global: num(env, 'MAX_CONCURRENT', Math.max(1, capacity), 1),
    perFormat: { mp3: f('mp3', 16), opus: f('opus', 16), aac: f('aac', 16), flac: f('flac', 16), wav: f('wav', 32), pcm: f('pcm', 32) },
    queueSize: num(env, 'QUEUE_SIZE', 64, 0),
    maxWaitMs: num(env, 'QUEUE_WAIT_MS', 30_000, 0),
  };
}
