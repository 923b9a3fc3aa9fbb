// X-Request-Id: a client's id is kept (safe characters only, bounded) so its logs and ours
// line up; otherwise one is generated. Every response carries it back.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

export const REQUEST_ID_HEADER = 'x-request-id';
export const MAX_REQUEST_ID_LENGTH = 128;

/** The client's id reduced to [A-Za-z0-9._:-] and bounded, or undefined if nothing is left. */
export function sanitizeRequestId(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const clean = raw.replace(/[^A-Za-z0-9._:-]/g, '').slice(0, MAX_REQUEST_ID_LENGTH);
  return clean.length > 0 ? clean : undefined;
}

export function genRequestId(req: IncomingMessage): string {
  return sanitizeRequestId(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
}

export function echoRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
}
