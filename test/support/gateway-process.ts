// Test side of the gateway harness: the real gateway as a child process comes from
// harness/gateway-process.ts (started, waited on and stopped by PID there); this file adds the
// speech() request helper the end-to-end tests share.
export {
  startGateway,
  sumMetric,
  type EngineRow,
  type ExitInfo,
  type GatewayOptions as StartOptions,
  type GatewayProcess,
  type StopResult,
} from '../../harness/gateway-process.js';
export { alive, childrenOf, freePort, sleep, startTime } from '../../harness/procs.js';
export { REPO_ROOT as repoRoot } from '../../models/paths.js';
import { devModelsDir } from '../../models/paths.js';

/** Where the real model lives: KOKORO_MODELS_DIR, else ../shared/models next to the repo. */
export const modelsDir = devModelsDir();

export interface SpeechResult {
  status: number;
  headers: Headers;
  body: Buffer;
  /** Milliseconds from sending to the first body byte (null if none). */
  firstByteMs: number | null;
}

/**
 * POST /v1/audio/speech with fetch and read the whole body. `onFirstBytes` runs once, when the
 * first body bytes arrived (the response keeps streaming meanwhile).
 */
export async function speech(
  url: string,
  body: Record<string, unknown>,
  opts: { timeoutMs?: number; onFirstBytes?: () => void | Promise<void>; signal?: AbortSignal } = {},
): Promise<SpeechResult> {
  const t0 = Date.now();
  const signal = opts.signal
    ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs ?? 120_000)])
    : AbortSignal.timeout(opts.timeoutMs ?? 120_000);
  const res = await fetch(`${url}/v1/audio/speech`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'kokoro', voice: 'af_heart', ...body }),
    signal,
  });
  const parts: Buffer[] = [];
  let firstByteMs: number | null = null;
  let hook: Promise<void> | undefined;
  if (res.body) {
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (part.length === 0) continue;
      parts.push(Buffer.from(part));
      if (firstByteMs === null) {
        firstByteMs = Date.now() - t0;
        // Run the hook beside the read, so the stream keeps flowing.
        if (opts.onFirstBytes) {
          hook = Promise.resolve().then(opts.onFirstBytes);
          hook.catch(() => {}); // awaited below; not unhandled meanwhile
        }
      }
    }
  }
  await hook;
  return { status: res.status, headers: res.headers, body: Buffer.concat(parts), firstByteMs };
}
