// The gateway's HTTP front: OpenAI's speech contract over fastify. Everything it needs comes
// in through AppDeps, so tests build it with fakes and the supervisor with real engines.
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { voiceLang } from '../../engine/voices.js';
import type { GatewayConfig } from '../config.js';
import { createLogger } from '../log.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Admission, SpeechSource } from '../speech/types.js';
import { pipelineDeps } from '../speech/pipeline.js';
import { requireApiKey } from './auth.js';
import { registerErrorHandling } from './error-handling.js';
import { echoRequestId, genRequestId } from './request-id.js';
import { engineProxyRoutes } from './routes/engine-proxy.js';
import { infoRoutes, LISTING_PATHS } from './routes/info.js';
import { probeRoutes } from './routes/probes.js';
import { SPEECH_PATH, speechRoutes } from './routes/speech.js';
import { webRoutes } from './routes/web.js';
import { captionRoutes } from './routes/captions.js';
import { devRoutes, GENERATE_FROM_PHONEMES_PATH, type DevRouteOptions } from './routes/dev.js';
import { DownloadLinks } from './download-links.js';
import { downloadRoutes } from './routes/download.js';
import { type EncoderFactory } from '../../audio/encode/types.js';

export interface AppDeps {
  config: GatewayConfig;
  /** The engine pool. */
  source: SpeechSource;
  /** Per-format limits. */
  admission: Admission;
  encoders: EncoderFactory;
  /** Kokoro voice names available. */
  voices: () => string[];
  metrics: GatewayMetrics;
  /** At least one engine ready (for /ready). */
  ready: () => boolean;
  /** Rows for GET /v1/engines. */
  engines?: () => unknown[];
  /** Base URL of a running engine by id, for the proxied debug endpoints. */
  engineOrigin?: (id: string) => string | null;
  /** The Bearer token an engine requires, added by the debug proxy. */
  engineToken?: (id: string) => string | undefined;
  logger?: Logger;
  /** /dev/phonemize and /dev/generate_from_phonemes (absent: those routes are not served). */
  dev?: Omit<DevRouteOptions, 'speech'>;
}

/**
 * The voices listed (those of the languages spoken) and the names a request may use (every
 * voice: a ja/zh voice gets a 400 naming its language, or reads another one with lang_code),
 * recomputed only when the supplier returns a new list.
 */
function speakableVoices(read: () => string[]) {
  let last: string[] | undefined;
  let names: string[] = [];
  let all: string[] = [];
  let set: ReadonlySet<string> = new Set();
  const refresh = () => {
    const now = read();
    if (now !== last) {
      last = now;
      all = [...now];
      names = now.filter((n) => voiceLang(n) !== undefined);
      set = new Set(now);
    }
  };
  return {
    list: () => (refresh(), names),
    all: () => (refresh(), all),
    set: () => (refresh(), set),
  };
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger ?? createLogger(config.logLevel),
    logController: new LogController({ disableRequestLogging: true }), // one line per request is ours (log.ts)
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    genReqId: genRequestId,
    return503OnClosing: true,
  }) as unknown as FastifyInstance;

  // Only JSON bodies: anything else (text/plain included) is a 415.
  app.removeContentTypeParser('text/plain');

  registerErrorHandling(app, config.bodyLimitBytes);
  echoRequestId(app);
  requireApiKey(app, config.apiKeys, config.listingsPublic ? LISTING_PATHS : undefined);
  app.addHook('onResponse', async (request, reply) => {
    // The speech routes write their own line.
    if (request.routeOptions.url === SPEECH_PATH || request.routeOptions.url === GENERATE_FROM_PHONEMES_PATH) return;
    const level = reply.statusCode >= 500 ? 'warn' : reply.statusCode >= 400 ? 'info' : 'debug';
    request.log[level]({ method: request.method, url: request.url.slice(0, 200), status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  const voices = speakableVoices(deps.voices);
  probeRoutes(app, { ready: deps.ready, metrics: deps.metrics, readyRetryAfterSeconds: config.readyRetryAfterSeconds });
  infoRoutes(app, { voices: voices.list, allVoices: voices.all, engines: deps.engines });
  webRoutes(app);
  if (deps.engineOrigin) engineProxyRoutes(app, { engineOrigin: deps.engineOrigin, engineToken: deps.engineToken });
  // return_download_link's files: a private folder made on first use, removed when the app closes.
  const downloads = new DownloadLinks({ encoders: deps.encoders, log: (level, msg, fields = {}) => app.log[level](fields, msg) });
  app.addHook('onClose', async () => downloads.close());
  downloadRoutes(app, downloads);
  const speech = {
    pipeline: pipelineDeps({ source: deps.source, admission: deps.admission, encoders: deps.encoders }, config),
    clientStallMs: config.clientStallMs,
    metrics: deps.metrics,
    maxInputChars: config.maxInputChars,
    bodyLimit: config.bodyLimitBytes,
    voices: voices.set,
    voiceMap: config.voiceMap,
    downloads,
  };
  speechRoutes(app, speech);
  captionRoutes(app, speech);
  if (deps.dev) devRoutes(app, { ...deps.dev, speech });
  return app;
}
