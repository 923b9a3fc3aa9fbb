// Sends one planned speech request and records what came back, timing included.
import { request } from './http.js';
import type { SpeechPlan, SpeechResult } from './types.js';

export interface ClientConfig {
  base: URL;
  model: string;
  timeoutMs: number;
  apiKey?: string;
}

/** A slow reader takes bytes at this rate for its first few seconds, then reads normally. */
const SLOW_BYTES_PER_SECOND = 12_000;
const SLOW_PHASE_MS = 6_000;
/** A stalling client stops reading after its first bytes for this long: more than the stress gateway's CLIENT_STALL_MS (3 s). */
export const STALL_PAUSE_MS = 8_000;
/** A trickling client reads at this rate from the first byte to the last. */
const TRICKLE_BYTES_PER_SECOND = 24_000;

export function speechBody(plan: SpeechPlan, model: string): string {
  const c = plan.speechCase;
  return JSON.stringify({
    model,
    input: c.text,
    voice: c.voice,
    speed: c.speed,
    response_format: plan.format,
    stream: plan.mode !== 'file',
    ...(plan.mode === 'sse' ? { stream_format: 'sse' } : {}),
  });
}

export async function sendSpeech(cfg: ClientConfig, plan: SpeechPlan): Promise<SpeechResult> {
  const startedAt = Date.now();
  const t0 = performance.now();
  let stalled = false;
  let firstAt: number | undefined;
  const r = await request({
    method: 'POST',
    url: new URL('/v1/audio/speech', cfg.base),
    headers: {
      'content-type': 'application/json',
      ...(cfg.apiKey ? { authorization: `Bearer ${cfg.apiKey}` } : {}),
    },
    body: speechBody(plan, cfg.model),
    timeoutMs: cfg.timeoutMs,
    onData: (bytes, elapsed, status) => {
      if (status !== 200) return undefined; // a rejection body is read whole
      if (plan.clientFault === 'abort' && bytes >= (plan.abortAfterBytes ?? 1)) return 'abort';
      if (plan.clientFault === 'stall' && !stalled) {
        stalled = true;
        return STALL_PAUSE_MS;
      }
      if (plan.clientFault === 'trickle') {
        firstAt ??= elapsed;
        const due = firstAt + (bytes / TRICKLE_BYTES_PER_SECOND) * 1000;
        return Math.max(0, due - elapsed);
      }
      if (plan.clientFault === 'slowReader' && elapsed < SLOW_PHASE_MS) {
        const due = (bytes / SLOW_BYTES_PER_SECOND) * 1000;
        return Math.min(Math.max(0, due - elapsed), SLOW_PHASE_MS - elapsed);
      }
      return undefined;
    },
  });
  return {
    plan,
    status: r.status,
    headers: r.headers,
    body: r.body,
    complete: r.complete,
    error: r.error,
    abortedByClient: r.abortedByClient,
    startedAt,
    ttfbMs: r.ttfbMs,
    latencyMs: performance.now() - t0,
  };
}
