// The gateway's engine status view (GET /v1/engines), polled by faults and the final checks.
import { sleep } from '../harness/procs.js';
import { getJson } from './http.js';

export interface EngineView {
  id: string | number;
  pid: number | null;
  state: string;
  device?: string;
  inFlight: number;
  restarts: number;
  lastExit?: unknown;
}

export async function listEngines(base: URL): Promise<EngineView[] | undefined> {
  try {
    const r = await getJson<{ engines: EngineView[] }>(base, '/v1/engines', 3000);
    return r.json?.engines;
  } catch {
    return undefined;
  }
}

/** Polls until every engine is ready (and there are `expected` of them), or the limit passes. */
export async function waitAllReady(base: URL, expected: number, limitMs: number): Promise<{ ok: boolean; ms: number; engines?: EngineView[] }> {
  const t0 = Date.now();
  let engines: EngineView[] | undefined;
  while (Date.now() - t0 < limitMs) {
    engines = await listEngines(base);
    if (engines && engines.length >= expected && engines.every((e) => e.state === 'ready')) return { ok: true, ms: Date.now() - t0, engines };
    await sleep(500);
  }
  return { ok: false, ms: Date.now() - t0, engines };
}
