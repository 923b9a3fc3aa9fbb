// The web page: a speech console and a live view of the engines, as plain static files
// (gateway/web/: index.html, app.js, style.css; ES modules, no framework, no bundler).
//
// The files are read from the source folder (REPO_ROOT/gateway/web) once, when the app is built,
// not copied into dist: tsc does not copy them, the gateway always runs from dist/ inside the
// checkout (REPO_ROOT is dist/..), and so there is no copy step to forget and no stale copy.
// The page itself needs no API key (auth.ts lists these paths as open); its API calls send the
// key the user types.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { REPO_ROOT } from '../../../models/paths.js';

export const WEB_DIR = join(REPO_ROOT, 'gateway', 'web');

/** URL path → file in WEB_DIR. The page is served at both / and /web. */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/web': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/web/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/web/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** Paths the page and its assets live at (open without an API key). */
export const WEB_PATHS: readonly string[] = Object.keys(FILES);

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export function webRoutes(app: FastifyInstance, opts: { dir?: string } = {}): void {
  const dir = opts.dir ?? WEB_DIR;
  const cache = new Map<string, Asset>();
  for (const [path, { file, type }] of Object.entries(FILES)) {
    let body: Buffer;
    try {
      body = readFileSync(join(dir, file));
    } catch (err) {
      app.log.warn({ file: join(dir, file), err: (err as Error).message }, 'web page file missing; the page is not served');
      return;
    }
    cache.set(path, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }

  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const asset = cache.get(request.routeOptions.url!)!;
    // Small files that change with the checkout: always revalidate, answer 304 when unchanged.
    reply
      .header('cache-control', 'no-cache')
      .header('etag', asset.etag)
      .header('x-content-type-options', 'nosniff');
    if (asset.type.startsWith('text/html')) {
      reply
        .header('content-security-policy', "default-src 'self'; media-src 'self' blob:; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'")
        .header('referrer-policy', 'no-referrer');
    }
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  };
  for (const path of cache.keys()) app.get(path, serve);
}
