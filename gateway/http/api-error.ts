// Errors in OpenAI's shape: {"error":{"message","type","param","code"}}.

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

export const overloaded = (message: string, retryAfter: number) =>
  new ApiError(429, message, 'rate_limit_error', null, 'rate_limit_exceeded', retryAfter);

export const unavailable = (message: string, retryAfter: number) =>
  new ApiError(503, message, 'server_error', null, 'service_unavailable', retryAfter);
