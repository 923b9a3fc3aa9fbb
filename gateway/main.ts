// The gateway process: HTTP front + engine supervisor (node:cluster primary). `npm start`
// and pm2 run this. It makes sure the model files are present and verified, forks the
// engines, serves the OpenAI speech API, and drains on SIGTERM.
import { fileURLToPath } from 'node:url';
import { ensureModels } from '../models/fetch.js';
import { ensureDurationsModel } from '../models/durations.js';
import { packageRunners } from '../models/runners.js';
import { SettingsError } from '../settings/reader.js';
import { loadGatewaySettings } from '../settings/tree.js';
import { AdmissionControl } from './speech/admission.js';
import { pipelineDeps } from './speech/pipeline.js';
import { createEncoderFactory, resolveFfmpeg } from '../audio/encode/index.js';
import { ChunkCache } from './chunks/cache.js';
import { ChunkSource } from './chunks/source.js';
import { phonemizeText } from './chunks/phonemizer.js';
import { Vocab } from '../engine/text/vocab.js';
import { Supervisor } from './engines/supervisor.js';
import { detectGpus } from './gpus.js';
import { buildApp } from './http/app.js';
import { createLogger } from './log.js';
import { createMetrics } from './metrics.js';
import { listVoiceNames } from '../engine/voices.js';
import { checkVoiceMap } from './http/voice-map.js';
import { createShutdown, EXIT_CRASH, installCrashHandlers } from './shutdown.js';
import { join, resolve } from 'node:path';
import { MODEL_FILE } from '../models/manifest.js';
import { readFileSync } from 'node:fs';
import { voiceLang } from '../engine/voices.js';
import { createWyomingServer, type WyomingServer } from './wyoming/server.js';

async function main(): Promise<void> {
  // Every setting, read once; nvidia-smi runs only when ENGINES=auto and GPUS is unset.
  const settings = loadGatewaySettings(process.env, { detectedGpus: detectGpus });
  const { http: config, supervision } = settings;
  const logger = createLogger(config.logLevel);
  const log = (level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}) => logger[level](fields, msg);

  const modelsDir = settings.models.dir;
  logger.info({ modelsDir }, 'checking model files');
  let lastProgress = 0;
  await ensureModels({
    dir: modelsDir,
    cacheDir: settings.models.cacheDir,
    mirrorUrls: settings.models.mirrorUrls,
    runners: packageRunners(settings.models.python),
    log: (line) => logger.info(line),
    onProgress: (p) => {
      if (Date.now() - lastProgress < 1000) return;
      lastProgress = Date.now();
      logger.info({ progress: p }, 'downloading model files');
    },
  });

  // Derived once here, before the engines start, so they find it ready (models/durations.ts).
  await ensureDurationsModel({
    modelPath: resolve(modelsDir, MODEL_FILE), modelsDir: resolve(modelsDir), cacheDir: settings.models.cacheDir,
    log: (level, msg) => logger[level](msg),
  });

  const ffmpeg = resolveFfmpeg(settings.encoders.ffmpegPath);
  logger.info({ ffmpeg: ffmpeg.path, source: ffmpeg.source, version: ffmpeg.version }, 'encoder binary');
  const metrics = createMetrics();
  const encoders = createEncoderFactory({
    ffmpegPath: ffmpeg.path,
    poolSize: settings.encoders.poolSize,
  });
  metrics.setEncoderPoolSizes(() => {
    const out: Record<string, number> = {};
    for (const [key, s] of Object.entries(encoders.poolStats())) {
      const format = key.split(':')[0]!;
      out[format] = (out[format] ?? 0) + s.idle;
    }
    return out;
  });

  const supervisor = new Supervisor({
    config: supervision,
    engineMain: fileURLToPath(new URL('../engine/main.js', import.meta.url)),
    engineEnv: { KOKORO_MODELS_DIR: modelsDir, MAX_INPUT_CHARS: String(config.maxInputChars) },
    metrics,
    log,
  });
  const { chunks } = settings;
  const cache = new ChunkCache({
    memoryBytes: chunks.cacheBytes, dir: chunks.cacheDir, diskBytes: chunks.cacheDiskBytes, metrics, log,
  });
  const source = new ChunkSource({ engines: supervisor, config: supervision, lookaheadChunks: chunks.lookaheadChunks, cache, log, metrics });
  const admission = new AdmissionControl(settings.admission, metrics);
  const voiceNames = listVoiceNames(join(modelsDir, 'voices'));
  checkVoiceMap(config.voiceMap, voiceNames); // a VOICE_MAP naming a missing voice stops the start

  const app = buildApp({
    config,
    source,
    admission,
    encoders,
    voices: () => voiceNames,
    metrics,
    ready: () => supervisor.readyCount() > 0,
    engines: () => supervisor.rows(),
    engineOrigin: (id) => supervisor.origin(id),
    engineToken: (id) => supervisor.engineToken(id),
    logger,
    dev: {
      vocab: Vocab.load(modelsDir),
      phonemize: (text, lang, signal) => phonemizeText({ engines: supervisor, config: supervision }, text, lang, signal),
    },
  });

  // Home Assistant's Wyoming protocol (WYOMING_PORT): the same pipeline, admission and engines.
  let wyoming: WyomingServer | undefined;
  if (settings.wyoming.port !== undefined) {
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    const speakable = voiceNames.filter((n) => voiceLang(n) !== undefined);
    wyoming = createWyomingServer({
      pipeline: pipelineDeps({ source, admission, encoders }, config),
      voices: () => speakable,
      voiceMap: config.voiceMap,
      maxInputChars: config.maxInputChars,
      clientStallMs: config.clientStallMs,
      version,
      log: (level, msg, fields = {}) => logger[level](fields, msg),
    });
  }

  stop = createShutdown({ app, wyoming, encoders, supervisor, drainMs: supervision.drainMs, log: logger, exit: (code) => process.exit(code) });
  supervisor.start();
  await app.listen({ port: config.port, host: config.host });
  logger.info({ port: config.port, host: config.host, engines: supervision.slots.map((s) => `${s.id}:${s.device}x${s.threads}`) }, 'gateway listening');
  if (wyoming) {
    const port = await wyoming.listen(settings.wyoming.port!, settings.wyoming.host);
    logger.info({ port, host: settings.wyoming.host }, 'wyoming listening');
  }

  // pm2 (wait_ready) and other parents learn we can serve once an engine is ready.
  const announce = () => {
    if (supervisor.readyCount() === 0) return;
    supervisor.off('change', announce);
    logger.info('first engine ready');
    process.send?.('ready');
  };
  supervisor.on('change', announce);
  announce();

  // gateway/shutdown.ts: stop accepting, drain up to DRAIN_MS, close encoders, stop engines.
  process.on('SIGTERM', () => void stop?.('SIGTERM'));
  process.on('SIGINT', () => void stop?.('SIGINT'));
}

// The shutdown path, once the gateway is built (set in main()).
let stop: ((reason: string, code?: number) => Promise<void>) | undefined;
// An uncaught exception leaves the process in an unknown state: log it, stop accepting, drain
// what is in flight, stop the engines and exit EXIT_CRASH (70) so pm2 or Kubernetes starts a
// clean one. Before the gateway is built there is nothing to drain: exit at once.
installCrashHandlers(process, (line) => process.stderr.write(line), (kind) => {
  if (stop) void stop(kind, EXIT_CRASH);
  else process.exit(EXIT_CRASH);
});

main().catch((err) => {
  // A settings problem is the operator's to fix: its message says which and why; no stack.
  process.stderr.write(`gateway failed to start: ${err instanceof SettingsError ? err.message : ((err as Error).stack ?? err)}\n`);
  process.exit(1);
});
