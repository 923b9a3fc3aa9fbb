// The gateway's settings: one flat object read from the environment, each with a default.
// Invalid values fail at start-up with the variable's name, never silently.
import { readFileSync } from 'node:fs';

export interface GatewayConfig {
  /** PORT: where the HTTP front listens (8880, as Kokoro-FastAPI). */
  port: number;
  /** HOST: the address to bind. */
  host: string;
  /** MAX_INPUT_CHARS: longest `input` accepted, in characters; long enough for a book chapter. */
  maxInputChars: number;
  /** BODY_LIMIT_BYTES: largest request body; must fit maxInputChars of escaped UTF-8 JSON. */
  bodyLimitBytes: number;
  /** API_KEYS (comma list) and API_KEYS_FILE (one per line, # comments): empty = no auth. */
  apiKeys: string[];
  /** REQUEST_TIMEOUT_MS: time allowed to receive a request's headers and body (0 = none). */
  requestTimeoutMs: number;
  /** KEEP_ALIVE_TIMEOUT_MS: idle keep-alive connections are closed after this. */
  keepAliveTimeoutMs: number;
  /** ENCODER_ATTEMPTS: encoders tried per request when one dies before the first byte went out. */
  encoderAttempts: number;
  /** READY_RETRY_AFTER_S: Retry-After sent with a 503 from /ready. */
  readyRetryAfterSeconds: number;
  /** LOG_LEVEL: pino level (fatal, error, warn, info, debug, trace, silent). */
  logLevel: string;
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number, got '${raw}'`);
  const n = Number(raw);
  if (n < min || n > max) throw new Error(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function readKeys(env: Env): string[] {
  const keys = (env.API_KEYS ?? '').split(',');
  const file = env.API_KEYS_FILE?.trim();
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`API_KEYS_FILE cannot be read: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    keys.push(...text.split(/\r?\n/).filter((l) => !l.trimStart().startsWith('#')));
  }
  const out = [...new Set(keys.map((k) => k.trim()).filter((k) => k.length > 0))];
  // A key with spaces or controls could never arrive intact in a Bearer header.
  for (const k of out) if (!/^[\x21-\x7e]+$/.test(k)) throw new Error('API keys must be printable ASCII without spaces');
  return out;
}

export function loadConfig(env: Env = process.env): GatewayConfig {
  const maxInputChars = int(env, 'MAX_INPUT_CHARS', 100_000, 1, 10_000_000);
  // Worst case JSON: every character escaped as \uXXXX (6 bytes), plus room for the other fields.
  const bodyDefault = Math.max(1 << 20, maxInputChars * 6 + 64 * 1024);
  const logLevel = (env.LOG_LEVEL ?? 'info').trim().toLowerCase();
  if (!LOG_LEVELS.has(logLevel)) throw new Error(`LOG_LEVEL must be one of ${[...LOG_LEVELS].join(', ')}`);
  return {
    port: int(env, 'PORT', 8880, 0, 65535),
    host: env.HOST?.trim() || '0.0.0.0',
    maxInputChars,
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', bodyDefault, 1024, 1 << 30),
    apiKeys: readKeys(env),
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 30_000, 0, 3_600_000),
    keepAliveTimeoutMs: int(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, 1, 3_600_000),
    encoderAttempts: int(env, 'ENCODER_ATTEMPTS', 3, 1, 10),
    readyRetryAfterSeconds: int(env, 'READY_RETRY_AFTER_S', 5, 1, 3600),
    logLevel,
  };
}
