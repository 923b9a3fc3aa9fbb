// Engine debug endpoints through the gateway: GET /v1/engines/:id/health and
// /v1/engines/:id/voices are proxied, as they are, to that engine with http-proxy-3. Only
// these read-only paths: the speech path never goes through a proxy, because the gateway must
// read the engine's frames itself to resume a request elsewhere when an engine fails.
// The client's credentials (its API key, cookies) never reach an engine: they are dropped, and
// the engine's own token is sent instead.
import type { FastifyInstance } from 'fastify';
import { createProxyServer } from 'http-proxy-3';
import { ApiError } from '../api-error.js';

export interface EngineProxyOptions {
  /** The engine's base URL, or null when there is no such engine or it is not running. */
  engineOrigin: (id: string) => string | null;
  /** The Bearer token that engine requires, if any. */
  engineToken?: (id: string) => string | undefined;
  timeoutMs?: number;
}

const DEBUG_PATHS = new Set(['health', 'voices']);
/** Client credentials, dropped before proxying (Node lowercases header names). */
const CLIENT_CREDENTIALS = ['authorization', 'proxy-authorization', 'cookie', 'x-api-key'];

export function engineProxyRoutes(app: FastifyInstance, opts: EngineProxyOptions): void {
  const proxy = createProxyServer({ proxyTimeout: opts.timeoutMs ?? 5000, timeout: opts.timeoutMs ?? 5000 });

  app.get<{ Params: { id: string; path: string } }>('/v1/engines/:id/:path', (request, reply) => {
    const { id, path } = request.params;
    if (!DEBUG_PATHS.has(path)) throw new ApiError(404, `No engine debug endpoint '${path.slice(0, 32)}'.`, 'invalid_request_error', 'path', 'not_found');
    const origin = opts.engineOrigin(id);
    if (!origin) throw new ApiError(404, `No running engine '${id.slice(0, 32)}'.`, 'invalid_request_error', 'id', 'engine_not_found');
    reply.hijack();
    request.raw.url = `/${path}`;
    for (const h of CLIENT_CREDENTIALS) delete request.raw.headers[h];
    const token = opts.engineToken?.(id);
    proxy.web(request.raw, reply.raw, { target: origin, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) }, () => {
      if (!reply.raw.headersSent) {
        const body = new ApiError(502, `Engine '${id}' did not answer.`, 'server_error', null, 'engine_unreachable').toBody();
        reply.raw.writeHead(502, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify(body));
      } else reply.raw.destroy();
    });
  });

  app.addHook('onClose', async () => proxy.close());
}
