// A fast fake engine for the stress suite, the delivery tests and bench:memory: an HTTP server
// on loopback that speaks the real engine protocol (/health, /plan, /infer; see
// protocol/engine-wire.ts) over a fake model that makes audio far faster than real time, as a
// GPU would, so producers outrun slow clients. Its audio is as long as real speech (15 input
// characters per second of audio at speed 1, over `speed`) and depends only on the chunk's
// tokens, the voice and the speed, so every engine (and every retry) gives the same samples.
// Run alone: `node dist/harness/fake-engine.js [--port N] [--chunk-ms MS]` prints its URL.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import {
  encodeAudio, encodeChunkStart, encodeEnd, encodePlan, encodePlanned, planDigest,
  type InferRequest, type PlannedChunk, type PlanRequest,
} from '../protocol/engine-wire.js';
import { SAMPLE_RATE } from '../protocol/constants.js';

/** Characters of input per second of audio at speed 1 (Kokoro reads English prose at about this). */
export const FAKE_CHARS_PER_SECOND = 15;
/** Longest fake chunk, in characters (= tokens: one token per character). */
const CHUNK_CHARS = 300;

export interface FakeEngineOptions {
  /** Time one chunk takes, ms (default 2: far faster than real time). */
  chunkMs?: number;
  port?: number;
}

export interface FakeEngineServer {
  url: string;
  server: Server;
  /** /infer calls served, and those whose client left before the end. */
  stats: { plans: number; infers: number; aborted: number };
  close(): Promise<void>;
}

/** The fake front end: sentences packed into chunks of at most CHUNK_CHARS characters. */
export function fakeEnginePlan(text: string): PlannedChunk[] {
  const out: PlannedChunk[] = [];
  let cur = '';
  const flush = () => {
    const t = cur.trim();
    if (t) out.push({ index: out.length, tokens: [...t].map((ch) => 1 + (ch.codePointAt(0)! % 177)) });
    cur = '';
  };
  for (const piece of text.split(/(?<=[.!?])\s+/)) {
    for (let i = 0; i < piece.length; i += CHUNK_CHARS) {
      const part = piece.slice(i, i + CHUNK_CHARS);
      if (cur.length + part.length + 1 > CHUNK_CHARS) flush();
      cur += (cur ? ' ' : '') + part;
    }
  }
  flush();
  return out;
}

/**
 * The fake model: a tone whose pitch comes from the tokens, voice and speed, and whose loudness
 * follows the tokens one by one (like syllables), so the stress suite's loudness-envelope checks
 * tell one text from another.
 */
export function fakeEngineSamples(tokens: readonly number[], voice: string, speed: number): Int16Array {
  let h = Math.round(speed * 100);
  for (const ch of voice) h = (h * 31 + ch.charCodeAt(0)) | 0;
  for (const t of tokens) h = (h * 31 + t) | 0;
  const n = Math.round((tokens.length / FAKE_CHARS_PER_SECOND / speed) * SAMPLE_RATE);
  const hz = 150 + (Math.abs(h) % 300);
  const out = new Int16Array(n);
  const step = (2 * Math.PI * hz) / SAMPLE_RATE;
  const perToken = n / Math.max(1, tokens.length);
  for (let i = 0; i < n; i++) {
    const t = tokens[Math.min(tokens.length - 1, Math.floor(i / perToken))] ?? 0;
    const amp = 400 + (Math.imul(t + 1, 2654435761) >>> 0) % 9000;
    out[i] = Math.round(amp * Math.sin(step * i));
  }
  return out;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      try {
        const s = Buffer.concat(parts).toString('utf8');
        resolve(s ? JSON.parse(s) : {});
      } catch (e) {
        reject(e as Error);
      }
    });
    req.on('error', reject);
  });
}

export const FAKE_ENGINE_MODEL = 'fe'.repeat(32);

export async function startFakeEngine(opts: FakeEngineOptions = {}): Promise<FakeEngineServer> {
  const chunkMs = opts.chunkMs ?? 2;
  const stats = { plans: 0, infers: 0, aborted: 0 };
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({
        state: 'ready', pid: process.pid, model: 'fake', modelSha256: FAKE_ENGINE_MODEL, device: 'cpu', threads: 1, runtime: 'fake',
        current: null, chunksDone: stats.infers, activeRequests: 0, rssBytes: 0, uptimeSeconds: 1,
      }));
    }
    readJson(req).then((body) => {
      if (req.url === '/plan') {
        stats.plans++;
        const chunks = fakeEnginePlan((body as PlanRequest).text);
        res.writeHead(200, { 'content-type': 'application/x-kokoro-frames' });
        for (const c of chunks) res.write(encodePlan(c.index, c.tokens, ''));
        const tokens = chunks.reduce((n, c) => n + c.tokens.length, 0);
        return void res.end(encodePlanned(chunks.length, tokens, planDigest(chunks)));
      }
      if (req.url === '/infer') {
        stats.infers++;
        const r = body as InferRequest;
        res.writeHead(200, { 'content-type': 'application/x-kokoro-frames' });
        let i = 0;
        let samples = 0;
        let tokens = 0;
        let closed = false;
        res.on('close', () => {
          if (!res.writableFinished) {
            closed = true;
            stats.aborted++;
          }
        });
        const next = () => {
          if (closed) return;
          if (i >= r.chunks.length) return void res.end(encodeEnd(r.chunks.length, samples, tokens));
          const c = r.chunks[i++]!;
          res.write(encodeChunkStart(c.index, r.chunks.length, c.tokens.length));
          const s = fakeEngineSamples(c.tokens, r.voice, r.speed ?? 1);
          samples += s.length;
          tokens += c.tokens.length;
          setTimeout(() => {
            if (closed) return;
            res.write(encodeAudio(c.index, s));
            next();
          }, chunkMs);
        };
        return next();
      }
      if (req.url === '/voices') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ voices: [] }));
      }
      res.writeHead(404).end();
    }, () => res.writeHead(400).end());
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, server, stats,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const e = await startFakeEngine({ port: arg('--port'), chunkMs: arg('--chunk-ms') });
  process.stdout.write(`${e.url}\n`);
  const stop = () => void e.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
