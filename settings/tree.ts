// The typed settings tree, built once at start from the values settings/schema.ts reads:
// loadGatewaySettings in gateway/main.ts, loadEngineSettings in engine/main.ts. Nothing else at
// run time reads the environment for settings; modules get their sub-tree.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { PoolKey } from '../audio/encode/factory.js';
import type { AudioFormat } from '../audio/encode/types.js';
import type { VoiceMap } from '../gateway/http/voice-map.js';
import { planSlots } from '../gateway/engines/config.js';
import { cacheRoot, modelFiles, resolveModelsDir } from '../models/paths.js';
import { SettingsError, type Env } from './reader.js';
import { readSettings, type LogLevel, type Values } from './schema.js';

/** The HTTP front (buildApp): listen address, request limits, auth, timeouts, log level. */
export interface GatewayConfig {
  /** PORT */
  port: number;
  /** HOST */
  host: string;
  /** MAX_INPUT_CHARS */
  maxInputChars: number;
  /** BODY_LIMIT_BYTES */
  bodyLimitBytes: number;
  /** API_KEYS and API_KEYS_FILE, trimmed and deduplicated: empty = no auth. */
  apiKeys: string[];
  /** LISTINGS_PUBLIC: the model and voice listings answer without a key. */
  listingsPublic: boolean;
  /** VOICE_MAP, read: OpenAI voice names → Kokoro voice specs. */
  voiceMap: VoiceMap;
  /** REQUEST_TIMEOUT_MS (0 = none) */
  requestTimeoutMs: number;
  /** KEEP_ALIVE_TIMEOUT_MS */
  keepAliveTimeoutMs: number;
  /** ENCODER_ATTEMPTS */
  encoderAttempts: number;
  /** CLIENT_STALL_MS */
  clientStallMs: number;
  /** REQUEST_BUFFER_KB, in bytes */
  requestBufferBytes: number;
  /** MAX_AUDIO_SECONDS */
  maxAudioSeconds: number;
  /** READY_RETRY_AFTER_S */
  readyRetryAfterSeconds: number;
  /** LOG_LEVEL */
  logLevel: LogLevel;
}

export interface SlotSpec {
  id: string;
  kind: 'local' | 'remote';
  /** `cpu` or `cuda:N` (N = the physical GPU; the engine sees it as cuda:0). */
  device: string;
  threads: number;
  /** Local CPU engines: WIDE_THREADS, the threads of the second session a lone chunk runs on (0: none). */
  wideThreads?: number;
  /** Remote engines: their base URL. */
  url?: string;
  /** Plans (requests) routed to this engine at once. */
  maxInFlight: number;
  /** Chunks (/infer calls) this engine runs at once: CPU 1, GPU 4, remote 2 unless CHUNK_SLOTS. */
  chunkSlots: number;
}

/** What planSlots needs: the engine settings as read. */
export type SlotSettings = Pick<Values, 'ENGINES' | 'GPUS' | 'ENGINES_PER_GPU' | 'ENGINE_THREADS' | 'WIDE_THREADS' | 'ENGINE_URLS' | 'ENGINE_MAX_INFLIGHT' | 'CHUNK_SLOTS'>;

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
  /** ENGINE_TOKEN / ENGINE_TOKEN_FILE: the Bearer secret sent to remote engines (local ones get a per-boot token). */
  remoteEngineToken?: string;
}

/** The chunk layer (gateway/chunks): parallel chunks and the chunk cache. */
export interface ChunkSettings {
  /** PARALLEL_CHUNKS: lookahead chunks on otherwise idle engines. */
  parallel: boolean;
  /** LOOKAHEAD_CHUNKS: chunks a request may have synthesized or running beyond the one it needs next. */
  lookaheadChunks: number;
  /** CACHE_MB in bytes (0 = no cache, no single flight). */
  cacheBytes: number;
  /** CACHE_DIR: the disk tier's directory (undefined = no disk tier). */
  cacheDir: string | undefined;
  /** CACHE_DISK_MB in bytes. */
  cacheDiskBytes: number;
}

export interface AdmissionConfig {
  global: number;
  perFormat: Record<AudioFormat, number>;
  queueSize: number;
  maxWaitMs: number;
}

export interface EncoderSettings {
  /** FFMPEG_PATH; undefined = the system one, else the bundled one. */
  ffmpegPath: string | undefined;
  /** ENCODER_POOL, ENCODER_POOL_<KEY>: only the keys given; the factory has the defaults. */
  poolSize: Partial<Record<PoolKey, number>>;
}

export interface ModelsSettings {
  /** KOKORO_MODELS_DIR, else <cache root>/models (models/paths.ts). */
  dir: string;
  /** KOKORO_CACHE_DIR, else $XDG_CACHE_HOME/kokoro-gateway, else ~/.cache/kokoro-gateway. */
  cacheDir: string;
  /** KOKORO_MODELS_MIRROR */
  mirrorUrls: string[];
  /** KOKORO_PYTHON */
  python: string;
}

/** The Wyoming (Home Assistant) front. */
export interface WyomingSettings {
  /** WYOMING_PORT; undefined = off. */
  port: number | undefined;
  /** WYOMING_HOST (default HOST) */
  host: string;
}

export interface GatewaySettings {
  http: GatewayConfig;
  wyoming: WyomingSettings;
  supervision: SupervisionConfig;
  admission: AdmissionConfig;
  chunks: ChunkSettings;
  encoders: EncoderSettings;
  models: ModelsSettings;
}

export interface EngineConfig {
  id: string;
  host: string;
  /** 0 picks a free port (the gateway learns it from the engine's `listening` message). */
  port: number;
  modelsDir: string;
  modelPath: string;
  /** `cpu` or `cuda:N` (with CUDA_VISIBLE_DEVICES pinned, usually cuda:0). */
  device: string;
  threads: number;
  /** WIDE_THREADS: threads of the wide session (0: none). */
  wideThreads: number;
  maxActive: number;
  heartbeatMs: number;
  maxBodyBytes: number;
  /** MAX_INPUT_CHARS: longest text accepted (the gateway passes its own value to forked engines). */
  maxTextChars: number;
  /** ENGINE_TOKEN / ENGINE_TOKEN_FILE: when set, every route requires `Authorization: Bearer <token>`. */
  token?: string;
  upgradeLib: string;
  /** ENGINE_DEBUG: write debug log lines. */
  debug: boolean;
  /** FIRST_CHUNK_TOKENS and CHUNK_RAMP: how a text is cut into chunks. */
  chunking: { firstChunkTokens: number; ramp: boolean };
  /** Where a remote engine fetches and verifies missing model files from (a forked one trusts its gateway). */
  models: ModelsSettings;
}

export interface GatewayLoadOptions {
  /** GPUs found on this machine; or a function asked only when ENGINES=auto and GPUS is unset. */
  detectedGpus?: number[] | (() => number[]);
  /** CPU cores to plan for (default: availableParallelism()). */
  cores?: number;
}

/** The models/paths.ts rule applied to the values read. */
function modelsFrom(v: Pick<Values, 'KOKORO_MODELS_DIR' | 'KOKORO_CACHE_DIR' | 'XDG_CACHE_HOME'>): { dir: string; cacheDir: string } {
  const env = { KOKORO_MODELS_DIR: v.KOKORO_MODELS_DIR, KOKORO_CACHE_DIR: v.KOKORO_CACHE_DIR, XDG_CACHE_HOME: v.XDG_CACHE_HOME };
  return { dir: resolveModelsDir(env), cacheDir: cacheRoot(env) };
}

function readKeyFile(file: string): string[] {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SettingsError([`API_KEYS_FILE cannot be read: ${(e as NodeJS.ErrnoException).code ?? 'error'}`]);
  }
  const keys = content.split(/\r?\n/).filter((l) => !l.trimStart().startsWith('#')).map((k) => k.trim()).filter((k) => k.length > 0);
  // A key with spaces or controls could never arrive intact in a Bearer header.
  if (keys.some((k) => !/^[\x21-\x7e]+$/.test(k))) throw new SettingsError(['API_KEYS_FILE: API keys must be printable ASCII without spaces']);
  return keys;
}

/** ENGINE_TOKEN, else the first line of ENGINE_TOKEN_FILE; both set is a mistake. */
function engineTokenFrom(v: Pick<Values, 'ENGINE_TOKEN' | 'ENGINE_TOKEN_FILE'>): string | undefined {
  if (v.ENGINE_TOKEN !== undefined && v.ENGINE_TOKEN_FILE !== undefined) throw new SettingsError(['ENGINE_TOKEN and ENGINE_TOKEN_FILE are both set: set one']);
  if (v.ENGINE_TOKEN_FILE === undefined) return v.ENGINE_TOKEN;
  let content: string;
  try {
    content = readFileSync(v.ENGINE_TOKEN_FILE, 'utf8');
  } catch (e) {
    throw new SettingsError([`ENGINE_TOKEN_FILE cannot be read: ${(e as NodeJS.ErrnoException).code ?? 'error'}`]);
  }
  const token = content.split(/\r?\n/).map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  if (!/^[\x21-\x7e]{16,}$/.test(token)) throw new SettingsError(['ENGINE_TOKEN_FILE: the token must be at least 16 printable ASCII characters without spaces']);
  return token;
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** Remote engines: a secret unless on loopback, and https unless on loopback or ENGINE_ALLOW_HTTP. */
function checkEngineUrls(urls: readonly string[], token: string | undefined, allowHttp: boolean): void {
  const problems: string[] = [];
  for (const origin of urls) {
    const u = new URL(origin);
    if (isLoopbackHost(u.hostname)) continue;
    if (!token) problems.push(`ENGINE_URLS: ${origin} is not on this machine: set ENGINE_TOKEN (or ENGINE_TOKEN_FILE) to the secret its engine requires`);
    if (u.protocol === 'http:' && !allowHttp) problems.push(`ENGINE_URLS: ${origin} would carry the engine token in clear text: use https:// (or set ENGINE_ALLOW_HTTP=1 on a network you trust)`);
  }
  if (problems.length > 0) throw new SettingsError(problems);
}

/** The gateway's whole settings tree, read once from `env`; throws a SettingsError naming every bad variable. */
export function loadGatewaySettings(env: Env, opts: GatewayLoadOptions = {}): GatewaySettings {
  // Forked engines inherit this environment: check their settings too, so a bad one stops the
  // gateway at start instead of crash-looping every engine.
  const problems = new Set<string>();
  const collect = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (e) {
      if (!(e instanceof SettingsError)) throw e;
      for (const p of e.problems) problems.add(p);
      return undefined;
    }
  };
  const read = collect(() => readSettings(env, 'gateway'));
  collect(() => readSettings(env, 'engine'));
  if (!read || problems.size > 0) throw new SettingsError([...problems]);
  const { values: v, pool } = read;
  const wantsGpus = v.ENGINES === 'auto' && v.GPUS === undefined;
  const detected = !wantsGpus ? [] : typeof opts.detectedGpus === 'function' ? opts.detectedGpus() : (opts.detectedGpus ?? []);
  const slots = planSlots(v, detected, opts.cores ?? availableParallelism());
  const capacity = slots.reduce((n, s) => n + s.maxInFlight, 0);
  const apiKeys = [...new Set([...v.API_KEYS, ...(v.API_KEYS_FILE ? readKeyFile(v.API_KEYS_FILE) : [])])];
  const remoteEngineToken = engineTokenFrom(v);
  checkEngineUrls(v.ENGINE_URLS, remoteEngineToken, v.ENGINE_ALLOW_HTTP);
  // Wyoming cannot carry a key: with keys set, it is loopback-only unless the operator says otherwise.
  if (v.WYOMING_PORT !== undefined && apiKeys.length > 0 && !isLoopbackHost(v.WYOMING_HOST) && !v.WYOMING_ALLOW_UNAUTHENTICATED) {
    throw new SettingsError([`WYOMING_PORT: the Wyoming protocol has no API keys, so with API_KEYS set it would open speech to anyone who reaches ${v.WYOMING_HOST}:${v.WYOMING_PORT}: bind it to loopback (WYOMING_HOST=127.0.0.1) or set WYOMING_ALLOW_UNAUTHENTICATED=1 on a network you trust`]);
  }
  return {
    http: {
      port: v.PORT,
      host: v.HOST,
      maxInputChars: v.MAX_INPUT_CHARS,
      bodyLimitBytes: v.BODY_LIMIT_BYTES,
      apiKeys,
      listingsPublic: v.LISTINGS_PUBLIC,
      voiceMap: v.VOICE_MAP,
      requestTimeoutMs: v.REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: v.KEEP_ALIVE_TIMEOUT_MS,
      encoderAttempts: v.ENCODER_ATTEMPTS,
      clientStallMs: v.CLIENT_STALL_MS,
      requestBufferBytes: v.REQUEST_BUFFER_KB * 1024,
      maxAudioSeconds: v.MAX_AUDIO_SECONDS,
      readyRetryAfterSeconds: v.READY_RETRY_AFTER_S,
      logLevel: v.LOG_LEVEL,
    },
    wyoming: { port: v.WYOMING_PORT, host: v.WYOMING_HOST },
    supervision: {
      slots,
      healthIntervalMs: v.HEALTH_INTERVAL_MS,
      healthTimeoutMs: v.HEALTH_TIMEOUT_MS,
      healthFall: v.HEALTH_FALL,
      healthRise: v.HEALTH_RISE,
      stallTimeoutMs: v.STALL_TIMEOUT_MS,
      chunkTimeoutMs: v.CHUNK_TIMEOUT_MS,
      restartBaseMs: v.RESTART_BASE_MS,
      restartMaxMs: v.RESTART_MAX_MS,
      stableMs: v.RESTART_STABLE_MS,
      crashLoopCount: v.CRASH_LOOP_COUNT,
      crashWindowMs: v.CRASH_LOOP_WINDOW_MS,
      maxAttempts: v.MAX_ATTEMPTS,
      retryBudgetRatio: v.RETRY_BUDGET_RATIO,
      retryBudgetMin: v.RETRY_BUDGET_MIN,
      engineWaitMs: v.ENGINE_WAIT_MS,
      drainMs: v.DRAIN_MS,
      ...(remoteEngineToken ? { remoteEngineToken } : {}),
    },
    // By default the global limit equals what the engines take at once, so requests beyond it
    // wait in the admission queue (429 when full or waited too long), not in front of busy engines.
    admission: {
      global: v.MAX_CONCURRENT ?? Math.max(1, capacity),
      perFormat: { mp3: v.LIMIT_MP3, opus: v.LIMIT_OPUS, aac: v.LIMIT_AAC, flac: v.LIMIT_FLAC, wav: v.LIMIT_WAV, pcm: v.LIMIT_PCM },
      queueSize: v.QUEUE_SIZE,
      maxWaitMs: v.QUEUE_WAIT_MS,
    },
    chunks: {
      parallel: v.PARALLEL_CHUNKS,
      lookaheadChunks: v.PARALLEL_CHUNKS ? v.LOOKAHEAD_CHUNKS : 0,
      cacheBytes: v.CACHE_MB * 1024 * 1024,
      cacheDir: v.CACHE_DIR ? resolve(v.CACHE_DIR) : undefined,
      cacheDiskBytes: v.CACHE_DISK_MB * 1024 * 1024,
    },
    encoders: { ffmpegPath: v.FFMPEG_PATH, poolSize: pool },
    models: { ...modelsFrom(v), mirrorUrls: v.KOKORO_MODELS_MIRROR, python: v.KOKORO_PYTHON },
  };
}

/** An engine process's settings, read once from `env` (the gateway sets them when it forks one). */
export function loadEngineSettings(env: Env, opts: { pid?: number; cores?: number } = {}): EngineConfig {
  const { values: v } = readSettings(env, 'engine');
  const { dir, cacheDir } = modelsFrom(v);
  const files = modelFiles(dir);
  const token = engineTokenFrom(v);
  if (!token && !isLoopbackHost(v.ENGINE_HOST)) {
    throw new SettingsError([`ENGINE_HOST=${v.ENGINE_HOST} lets other machines connect: set ENGINE_TOKEN (or ENGINE_TOKEN_FILE) so the engine only serves its gateway`]);
  }
  return {
    id: v.ENGINE_ID ?? `engine-${opts.pid ?? process.pid}`,
    host: v.ENGINE_HOST,
    port: v.ENGINE_PORT,
    modelsDir: dir,
    modelPath: v.KOKORO_MODEL_FILE ? resolve(v.KOKORO_MODEL_FILE) : files.model,
    device: v.ENGINE_DEVICE,
    threads: v.ENGINE_THREADS ?? Math.max(1, opts.cores ?? availableParallelism()),
    wideThreads: v.WIDE_THREADS ?? 0,
    maxActive: v.ENGINE_MAX_ACTIVE,
    heartbeatMs: v.ENGINE_HEARTBEAT_MS,
    // The JSON body of the longest text, every character escaped (\uXXXX), plus the other fields.
    maxBodyBytes: v.MAX_INPUT_CHARS * 6 + 64 * 1024,
    maxTextChars: v.MAX_INPUT_CHARS,
    ...(token ? { token } : {}),
    upgradeLib: files.runtimeLibrary,
    debug: v.ENGINE_DEBUG,
    chunking: { firstChunkTokens: v.FIRST_CHUNK_TOKENS, ramp: v.CHUNK_RAMP },
    models: { dir, cacheDir, mirrorUrls: v.KOKORO_MODELS_MIRROR, python: v.KOKORO_PYTHON },
  };
}
