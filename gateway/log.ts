// Structured logging (pino). Input text and API keys never reach a log line: the request
// serializer keeps method, url and id only, and authorization headers are redacted anyway.
import { pino, type Logger } from 'pino';
import { type AudioFormat } from '../audio/encode/types.js';

export function createLogger(level: string = 'info'): Logger {
  return pino({
    level,
    base: { pid: process.pid, svc: 'gateway' },
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.apiKey', '*.input'], censor: '[redacted]' },
  });
}

/** What ended a speech request, as counted and logged. */
export type SpeechOutcome = 'ok' | 'client_error' | 'server_error' | 'client_gone' | 'client_stalled' | 'truncated';

/** The one line written per speech request. */
export interface SpeechLogLine {
  id: string;
  format: AudioFormat | undefined;
  /** The model name the client asked for (all run Kokoro-82M). */
  model?: string;
  voice: string | undefined;
  characters: number;
  audioSeconds: number;
  status: number;
  outcome: SpeechOutcome;
  ttfbMs: number | null;
  durationMs: number;
  encoderReplacements?: number;
  error?: string;
}

/** Any pino-like logger (fastify's request logger included). */
export type LineLogger = Pick<Logger, 'info' | 'warn'>;

export function logSpeech(log: LineLogger, line: SpeechLogLine): void {
  const level = line.outcome === 'server_error' || line.outcome === 'truncated' ? 'warn' : 'info';
  log[level]({ speech: line }, 'speech request');
}
