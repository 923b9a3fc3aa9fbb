// Slot planning: which engines to run, from the engine settings as read by settings/ (the types
// live in the settings tree; they are re-exported here for the supervisor and the pool).
import type { Env } from '../../settings/reader.js';
import type { SlotSettings, SlotSpec, SupervisionConfig } from '../../settings/tree.js';
import { loadGatewaySettings } from '../../settings/tree.js';

export type { AdmissionConfig, SlotSettings, SlotSpec, SupervisionConfig } from '../../settings/tree.js';

// A CPU engine runs ~3x realtime per thread: two streams each stay ahead of playback.
// A GPU engine is tens of times faster. Remote engines: unknown, a middle value.
const DEFAULT_INFLIGHT = { cpu: 2, gpu: 8, remote: 4 };
// Chunks one engine runs at once. A CPU engine runs one inference at a time: a second chunk
// queued behind it would only delay another request's first chunk. A GPU engine gains from a
// few in flight (the engine batches or overlaps them); a remote one hides the network round trip.
const DEFAULT_CHUNK_SLOTS = { cpu: 1, gpu: 4, remote: 2 };

/** The default wide session's thread cap. */
export const WIDE_MAX_THREADS = 8;

/** GPUs: GPUS when given, else those detected by the caller (nvidia-smi). */
export function planSlots(s: SlotSettings, detectedGpus: number[], cores: number): SlotSpec[] {
  const slots: SlotSpec[] = [];
  const gpus = s.GPUS ?? detectedGpus;
  const inflight = (kind: keyof typeof DEFAULT_INFLIGHT) => s.ENGINE_MAX_INFLIGHT ?? DEFAULT_INFLIGHT[kind];
  const chunkSlots = (kind: keyof typeof DEFAULT_CHUNK_SLOTS) => s.CHUNK_SLOTS ?? DEFAULT_CHUNK_SLOTS[kind];

  if (s.ENGINES !== 0 && gpus.length > 0 && (s.ENGINES === 'auto' || s.GPUS !== undefined)) {
    for (const g of gpus) {
      for (let k = 0; k < s.ENGINES_PER_GPU; k++) slots.push({ id: `gpu${g}-${k}`, kind: 'local', device: `cuda:${g}`, threads: s.ENGINE_THREADS ?? 1, maxInFlight: inflight('gpu'), chunkSlots: chunkSlots('gpu') });
    }
  } else if (s.ENGINES !== 0) {
    // CPU: on this 2-core class of machine two 1-thread engines beat one 2-thread engine on
    // throughput under concurrency, and one engine can serve while the other restarts.
    const count = s.ENGINES === 'auto' ? Math.max(2, Math.floor(cores / 2)) : s.ENGINES;
    const threads = s.ENGINE_THREADS ?? Math.max(1, Math.floor(cores / count));
    // A lone chunk (every other engine idle) may use every core: the wide session. Capped at
    // WIDE_MAX_THREADS by default: measured only on 2 cores, and one chunk's parallel work is small.
    const wide = s.WIDE_THREADS ?? (count >= 2 ? Math.min(cores, WIDE_MAX_THREADS) : 0);
    const wideThreads = wide > threads ? wide : 0;
    for (let i = 0; i < count; i++) slots.push({ id: `cpu${i}`, kind: 'local', device: 'cpu', threads, wideThreads, maxInFlight: inflight('cpu'), chunkSlots: chunkSlots('cpu') });
  }
  s.ENGINE_URLS.forEach((origin, i) => {
    slots.push({ id: `remote${i}`, kind: 'remote', device: 'remote', threads: 0, url: origin, maxInFlight: inflight('remote'), chunkSlots: chunkSlots('remote') });
  });
  if (slots.length === 0) throw new Error('no engines configured: set ENGINES or ENGINE_URLS');
  return slots;
}

/** Convenience for tests: the supervision sub-tree of loadGatewaySettings. */
export function loadSupervisionConfig(env: Env, detectedGpus: number[]): SupervisionConfig {
  return loadGatewaySettings(env, { detectedGpus }).supervision;
}
