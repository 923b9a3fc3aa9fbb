// Engine authentication: with a token configured (the gateway's per-boot token for the engines
// it forks, ENGINE_TOKEN for a remote engine), every request must carry
// `Authorization: Bearer <token>`; anything else gets 401 in the engine's error shape.
// The comparison is over SHA-256 digests with timingSafeEqual: constant time, any length.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineError } from '../protocol/engine-wire.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** A checker for one token; undefined = no token configured, every request passes. */
export function engineAuthCheck(token: string | undefined): (req: IncomingMessage) => boolean {
  if (!token) return () => true;
  const want = digest(token);
  return (req) => {
    const m = /^Bearer ([\x21-\x7e]+)$/.exec(req.headers.authorization ?? '');
    return m !== null && timingSafeEqual(digest(m[1]!), want);
  };
}

/** Answers 401 and returns false when `req` is not authorized; true otherwise. */
export function requireEngineAuth(check: (req: IncomingMessage) => boolean, req: IncomingMessage, res: ServerResponse): boolean {
  if (check(req)) return true;
  const body: EngineError = { code: 'unauthorized', message: 'a valid engine token is required (Authorization: Bearer)' };
  const data = JSON.stringify(body);
  // The body is not read: close the connection rather than drain an unauthenticated upload.
  res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), 'www-authenticate': 'Bearer', connection: 'close' });
  res.end(data);
  req.resume();
  return false;
}
