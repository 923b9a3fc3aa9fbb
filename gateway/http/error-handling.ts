// Every error leaves in OpenAI's shape {"error":{message,type,param,code}} with the right
// status: our ApiErrors as they are, core SpeechErrors through the kind table, fastify's own (body parsing, size, media type) mapped,
// anything else a 500 that names no internals. Unknown routes are 404; a known route with
// the wrong method is 405 with Allow.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ApiError, speechApiError } from './api-error.js';
import { SpeechError } from '../speech/errors.js';

function send(reply: FastifyReply, err: ApiError): FastifyReply {
  if (err.retryAfter !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfter))));
  return reply.code(err.status).type('application/json; charset=utf-8').send(err.toBody());
}

/** Maps any thrown value to the ApiError the client will see. */
export function toApiError(err: unknown, bodyLimit: number): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof SpeechError) return speechApiError(err);
  const e = err as Partial<FastifyError> & { status?: number };
  const status = e.statusCode ?? e.status ?? 500;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, `The request body is larger than the limit of ${bodyLimit} bytes.`, 'invalid_request_error', null, 'request_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, "The request body must be JSON, sent with 'Content-Type: application/json'.", 'invalid_request_error', null, 'unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'The request body is empty; a JSON object was expected.', 'invalid_request_error', null, 'invalid_json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'The Content-Length header does not match the body.', 'invalid_request_error', null, 'invalid_request');
  }
  // JSON.parse failures and prototype-poisoning refusals arrive as 400s from the parser.
  if (status === 400 && (err instanceof SyntaxError || /json|proto|constructor/i.test(String(e.message)))) {
    return new ApiError(400, 'The request body is not valid JSON.', 'invalid_request_error', null, 'invalid_json');
  }
  if (status >= 400 && status < 500) {
    return new ApiError(status, 'The request could not be processed.', 'invalid_request_error', null, null);
  }
  return new ApiError(500, 'The server had an internal error while handling the request.', 'server_error', null, 'internal_error');
}

export function registerErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  // Methods per path, for 405 and Allow (HEAD routes included as fastify adds them).
  const methods = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const set = methods.get(route.url) ?? new Set<string>();
    for (const m of [route.method].flat()) set.add(m);
    methods.set(route.url, set);
  });

  app.setErrorHandler((err, request, reply) => {
    const api = toApiError(err, bodyLimit);
    // A client that left needs no log line here: the speech route already recorded it.
    if (api.status >= 500 && !(err instanceof ApiError) && !(err instanceof SpeechError)) request.log.error({ err }, 'unhandled error');
    return send(reply, api);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0]!;
    const allowed = methods.get(path);
    if (allowed && !allowed.has(request.method)) {
      reply.header('allow', [...allowed].sort().join(', '));
      return send(reply, new ApiError(405, `Method ${request.method} is not allowed on ${path}.`, 'invalid_request_error', null, 'method_not_allowed'));
    }
    return send(reply, new ApiError(404, `No route for ${request.method} ${path.slice(0, 200)}.`, 'invalid_request_error', null, 'not_found'));
  });
}
