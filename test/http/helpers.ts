// Builds the app over the fakes with a quiet logger.
import { pino } from 'pino';
import { loadConfig, type GatewayConfig } from '../../gateway/config.js';
import { buildApp } from '../../gateway/http/app.js';
import { createMetrics } from '../../gateway/metrics.js';
import { FakeAdmission, FakeEncoders, FakeSource, type EncoderPlan, type FakeSourceOptions } from './fakes.js';
import { type EncoderFactory } from '../../audio/encode/types.js';

export const VOICES = ['af_heart', 'af_alloy', 'af_bella', 'am_adam', 'am_echo', 'bm_fable', 'bf_emma', 'ef_dora', 'ff_siwis', 'jf_alpha', 'zf_xiaobei'];

export interface TestAppOptions {
  env?: Record<string, string>;
  source?: FakeSourceOptions;
  plans?: EncoderPlan[];
  ready?: boolean;
  engines?: () => unknown[];
  engineOrigin?: (id: string) => string | null;
  engineToken?: (id: string) => string | undefined;
  /** Real encoders instead of the pass-through fake. */
  encoders?: EncoderFactory;
}

export function testApp(o: TestAppOptions = {}) {
  const config: GatewayConfig = loadConfig({ LOG_LEVEL: 'silent', ...o.env });
  const source = new FakeSource(o.source);
  const admission = new FakeAdmission();
  const encoders = new FakeEncoders(o.plans);
  const metrics = createMetrics();
  let ready = o.ready ?? true;
  const app = buildApp({
    config,
    source,
    admission,
    encoders: o.encoders ?? encoders,
    metrics,
    voices: () => VOICES,
    ready: () => ready,
    engines: o.engines,
    engineOrigin: o.engineOrigin,
    engineToken: o.engineToken,
    logger: pino({ level: 'silent' }),
  });
  return { app, config, source, admission, encoders, metrics, setReady: (r: boolean) => (ready = r) };
}

export const speech = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST' as const,
  url: '/v1/audio/speech',
  headers: { 'content-type': 'application/json', ...headers },
  payload: typeof body === 'string' ? body : JSON.stringify(body),
});

export const base = { model: 'tts-1', input: 'Hello there.', voice: 'af_heart' };
