// Engine and gateway processes for the benchmarks come from harness/ (started from dist/, on
// loopback only, stopped by PID); this file holds the benchmarks' settings for them and the
// engine-side waits. Each child is also registered with track(), so Ctrl-C or an error kills it.
import type { GatewayOptions } from '../../harness/gateway-process.js';
import { startEngine, type EngineProcess } from '../../harness/engine-process.js';
import { procStatusBytes, sleep } from '../../harness/procs.js';
import type { EngineHealth } from '../../protocol/engine-wire.js';
import { track } from './common.js';
import { getJson } from './http.js';

/**
 * How the benchmarks run the gateway (for harness startGateway): ENGINES × ENGINE_THREADS,
 * LOG_LEVEL=warn, up to 300 s to load, and done when `expectEngines` (default `engines`; remote
 * engines from ENGINE_URLS count too) are listed, every one ready with its URL.
 */
export function benchGateway(opts: {
  engines: number; threads: number; env?: Record<string, string>; timeoutMs?: number; expectEngines?: number;
}): GatewayOptions {
  const expect = opts.expectEngines ?? opts.engines;
  return {
    engines: opts.engines,
    threads: opts.threads,
    logLevel: 'warn',
    env: opts.env,
    readyTimeoutMs: opts.timeoutMs ?? 300_000,
    readyWhen: (rows) => rows.length === expect && rows.every((e) => e.state === 'ready' && e.url),
    onSpawn: track,
  };
}

/** Peak RSS (VmHWM) of each engine the gateway listed when it was ready, in list order. */
export function enginePeakRss(gw: { enginesAtReady: { pid: number | null }[] }): (number | undefined)[] {
  return gw.enginesAtReady.map((e) => (e.pid ? procStatusBytes(e.pid, 'VmHWM') : undefined));
}

export interface BenchEngine extends EngineProcess {
  health(): Promise<EngineHealth>;
  /** Peak RSS (VmHWM) of the engine process. */
  peakRss(): number | undefined;
}

/** A standalone engine (harness startEngine) the way the gateway forks it, with `threads` intra-op threads. */
export async function startBenchEngine(opts: { threads: number; env?: Record<string, string>; timeoutMs?: number }): Promise<BenchEngine> {
  const engine = await startEngine({
    threads: opts.threads,
    id: `bench-${opts.threads}t`,
    env: opts.env,
    readyTimeoutMs: opts.timeoutMs ?? 300_000,
    onSpawn: track,
  });
  return {
    ...engine,
    health: async () => (await getJson<EngineHealth>(`${engine.origin}/health`)).body,
    peakRss: () => procStatusBytes(engine.pid, 'VmHWM'),
  };
}

/** Waits until an engine has no request and no chunk in progress (after an aborted stream). */
export async function waitEngineIdle(origin: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const h = (await getJson<EngineHealth>(`${origin}/health`)).body;
    if (h.activeRequests === 0 && h.current === null) return;
    if (Date.now() > until) throw new Error(`engine ${origin} still busy after ${timeoutMs} ms`);
    await sleep(10);
  }
}
