// Errors in OpenAI's shape: {"error":{"message","type","param","code"}}, and the one table
// that turns a core SpeechError kind into a status.
import { SpeechError, type SpeechErrorKind } from '../speech/errors.js';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = status >= 500 ? 'server_error' : 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
    /** Seconds, sent as Retry-After (429 and 503). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = 'invalid_value') =>
  new ApiError(400, message, 'invalid_request_error', param, code);

export const unavailable = (message: string, retryAfter: number) =>
  new ApiError(503, message, 'server_error', null, 'service_unavailable', retryAfter);

/** Status, type and code per kind; `message: null` keeps the core's message. */
export const SPEECH_ERROR_STATUS: Readonly<Record<SpeechErrorKind, { status: number; type: string; code: string | null; message: string | null }>> = {
  busy: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded', message: null },
  unavailable: { status: 503, type: 'server_error', code: 'service_unavailable', message: null },
  bad_request: { status: 400, type: 'invalid_request_error', code: 'invalid_value', message: null },
  plan_mismatch: { status: 502, type: 'server_error', code: 'plan_mismatch', message: null },
  engine_refused: { status: 500, type: 'server_error', code: null, message: 'The engine refused the request.' },
  encoder_failed: { status: 500, type: 'server_error', code: 'encoder_failed', message: 'Audio encoding failed.' },
  too_long: { status: 413, type: 'invalid_request_error', code: 'audio_too_long', message: null },
  timestamps_unavailable: { status: 501, type: 'server_error', code: 'timestamps_unavailable', message: null },
  cut_short: { status: 500, type: 'server_error', code: 'synthesis_incomplete', message: 'Speech synthesis ended early.' },
  // Never sent (the client is gone); 499 is what the access log records.
  client_gone: { status: 499, type: 'invalid_request_error', code: 'client_closed_request', message: null },
};

export function speechApiError(err: SpeechError): ApiError {
  const m = SPEECH_ERROR_STATUS[err.kind];
  return new ApiError(m.status, m.message ?? err.message, m.type, err.param, m.code, err.retryAfterS);
}
