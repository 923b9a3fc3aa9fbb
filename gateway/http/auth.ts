// Optional API keys: `Authorization: Bearer <key>` on every route but the probes. Keys are
// compared in constant time and never logged or echoed.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ApiError } from './api-error.js';
import { WEB_PATHS } from './routes/web.js';

/**
 * Probes and scrapes stay open so orchestrators need no secret; so does the web page (static
 * files only: its API calls carry the key the user types).
 */
export const OPEN_PATHS: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics', ...WEB_PATHS]);

const digest = (s: string) => createHash('sha256').update(s).digest();

export const unauthorized = () =>
  new ApiError(401, 'Missing or invalid API key. Send it as "Authorization: Bearer <key>".', 'invalid_request_error', null, 'invalid_api_key');

/** `extraOpen`: more exact paths that need no key (the listings, when LISTINGS_PUBLIC is on). */
export function requireApiKey(app: FastifyInstance, keys: readonly string[], extraOpen: ReadonlySet<string> = new Set()): void {
  if (keys.length === 0) return;
  const digests = keys.map(digest);
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?', 1)[0]!;
    if (OPEN_PATHS.has(path) || extraOpen.has(path)) return;
    const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(request.headers.authorization ?? '');
    if (!m) throw unauthorized();
    const given = digest(m[1]!);
    // Compare with every key so timing says nothing about which one matched.
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, given) || ok;
    if (!ok) throw unauthorized();
  });
}
