// RSS of the gateway and its engines over the run, for before/after figures and drift.
import { listEngines } from './engines.js';
import { rssBytes } from '../harness/procs.js';
import { slope } from './stats.js';

export interface MemorySample {
  atS: number;
  gatewayMb?: number;
  enginesMb: number;
  engineCount: number;
}

const mb = (b: number | undefined) => (b === undefined ? undefined : Math.round((b / 1048576) * 10) / 10);

export async function sampleMemory(base: URL, gatewayPid: number, t0: number): Promise<MemorySample> {
  const engines = (await listEngines(base)) ?? [];
  let total = 0;
  let count = 0;
  for (const e of engines) {
    const r = e.pid ? rssBytes(e.pid) : undefined;
    if (r !== undefined) {
      total += r;
      count++;
    }
  }
  return { atS: Math.round((performance.now() - t0) / 1000), gatewayMb: mb(rssBytes(gatewayPid)), enginesMb: mb(total) ?? 0, engineCount: count };
}

export interface MemorySummary {
  before?: MemorySample;
  after?: MemorySample;
  /** Least-squares drift over the load, MB per hour (long runs; noisy on short ones). */
  gatewayDriftMbPerHour?: number;
  enginesDriftMbPerHour?: number;
  samples: MemorySample[];
}

export function summarizeMemory(samples: MemorySample[], before?: MemorySample, after?: MemorySample): MemorySummary {
  const perHour = (v: number | undefined) => (v === undefined ? undefined : Math.round(v * 3600 * 10) / 10);
  const g = samples.filter((s) => s.gatewayMb !== undefined).map((s) => [s.atS, s.gatewayMb!] as [number, number]);
  const e = samples.filter((s) => s.engineCount > 0).map((s) => [s.atS, s.enginesMb / s.engineCount] as [number, number]);
  return {
    before,
    after,
    gatewayDriftMbPerHour: perHour(slope(g)),
    enginesDriftMbPerHour: perHour(slope(e)),
    samples,
  };
}
