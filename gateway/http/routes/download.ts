// GET /v1/download/:file (Kokoro-FastAPI's route) and /download/:file (the path its
// X-Download-Path header names, which clients may resolve against the server's root): a file
// made for a speech request with `return_download_link` (download-links.ts), 404 once expired.
import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { contentTypeFor } from '../../../audio/encode/content-type.js';
import { ApiError } from '../api-error.js';
import type { DownloadLinks } from '../download-links.js';

export function downloadRoutes(app: FastifyInstance, links: DownloadLinks): void {
  for (const path of ['/v1/download/:file', '/download/:file']) {
    app.get(path, async (request, reply) => {
      const { file } = request.params as { file: string };
      const found = links.lookup(file);
      if (!found) throw new ApiError(404, 'Audio file not found: download links expire, and a file is listed only once its response has finished.', 'invalid_request_error', null, 'not_found');
      return reply.code(200).type(contentTypeFor(found.format)).header('content-length', String(found.bytes))
        .header('content-disposition', `attachment; filename="speech.${found.format}"`).header('cache-control', 'no-store')
        .send(createReadStream(found.path));
    });
  }
}
