// A fast fake engine: an HTTP server on loopback that speaks the real engine protocol (/health,
// /plan, /infer; see protocol/engine-wire.ts) over a fake model that makes audio far faster than
// real time, as a GPU would, so producers outrun slow clients and load runs cost the engine next
// to nothing. Used by the stress suite (`--profile fast`), the delivery tests, bench:memory and
// bench:heap. It keeps nothing per request once the request ends (only counters), so a long run
// does not grow this process.
//
// Defaults (stress, delivery, bench:memory): sentences packed into chunks of at most 300
// characters, audio as long as real speech (15 input characters per second of audio at speed 1,
// over `speed`) that depends only on the chunk's tokens, the voice and the speed, so every engine
// (and every retry) gives the same samples. bench:heap asks instead for one chunk per sentence,
// a fixed number of samples per token, and faults on purpose: every `faultEvery`-th /infer is
// cut after its CHUNK frame (the gateway re-runs the chunk elsewhere), and a text containing
// `invalidTextMarker` gets an ERROR frame (invalid_text: the client's 400).
// Run alone: `node dist/harness/fake-engine.js [--port N] [--chunk-ms MS]` prints its URL.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import {
  encodeAudio, encodeChunkStart, encodeEnd, encodeError, encodePlan, encodePlanned, planDigest,
  type EngineHealth, type InferRequest, type PlannedChunk, type PlanRequest,
} from '../protocol/engine-wire.js';
import { SAMPLE_RATE } from '../protocol/constants.js';

/** Characters of input per second of audio at speed 1 (Kokoro reads English prose at about this). */
export const FAKE_CHARS_PER_SECOND = 15;
/** Longest packed fake chunk, in characters (= tokens: one token per character). */
const CHUNK_CHARS = 300;
/** Longest chunk of the one-chunk-per-sentence plan, in tokens. */
const SENTENCE_TOKENS = 500;

/** The default model hash in /health (keys the gateway's chunk cache when CACHE_MB > 0). */
export const FAKE_ENGINE_MODEL = 'fe'.repeat(32);
/** The model hash bench:heap reports (its runs have always keyed the cache with this one). */
export const FAKE_MODEL_SHA256 = 'fa'.repeat(32);
/** The marker bench:heap puts in texts the engine must refuse (pass it as `invalidTextMarker`). */
export const INVALID_TEXT_MARKER = 'zzinvalidzz';

export interface FakeEngineOptions {
  /** Time one chunk takes, ms (default 2: far faster than real time). */
  chunkMs?: number;
  /** Port on 127.0.0.1 (default 0: any free one). */
  port?: number;
  /**
   * 'packed' (default): sentences packed into chunks of at most 300 characters.
   * 'sentences': one chunk per '.'-terminated sentence, at most 500 tokens.
   */
  plan?: 'packed' | 'sentences';
  /**
   * Unset (default): audio as long as real speech, a tone that depends on tokens, voice and speed.
   * A number: exactly that many samples per token, whatever the speed (Kokoro makes about
   * 600-1200 at speed 1).
   */
  samplesPerToken?: number;
  /** Every Nth /infer is cut after its CHUNK frame (default 0: never). */
  faultEvery?: number;
  /** A /plan whose text contains this gets an invalid_text ERROR frame (default: none refused). */
  invalidTextMarker?: string;
  /** Model hash in /health (default FAKE_ENGINE_MODEL). */
  modelSha256?: string;
}

export interface FakeEngineStats {
  plans: number;
  /** /infer calls served (including those cut on purpose). */
  infers: number;
  /** /infer calls cut on purpose (`faultEvery`). */
  faults: number;
  /** /infer calls whose client left before the end. */
  aborted: number;
}

export interface FakeEngineServer {
  url: string;
  server: Server;
  readonly stats: FakeEngineStats;
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

/** The other front end: one chunk per sentence ('.'-terminated); token ids from the characters (1..177). */
export function fakeSentencePlan(text: string): PlannedChunk[] {
  return text.split('.').map((s) => s.trim()).filter((s) => s.length > 0)
    .map((s, index) => ({ index, tokens: [...s].slice(0, SENTENCE_TOKENS).map((ch) => 1 + (ch.charCodeAt(0) % 177)) }));
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

/** Fixed-rate fake audio: `perToken` samples per token, a wave whose pitch follows the token. */
export function fakeFixedSamples(tokens: readonly number[], perToken: number): Int16Array {
  const out = new Int16Array(tokens.length * perToken);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(6000 * Math.sin((i * (tokens[(i / perToken) | 0]! + 40)) / 900));
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

export async function startFakeEngine(opts: FakeEngineOptions = {}): Promise<FakeEngineServer> {
  const chunkMs = opts.chunkMs ?? 2;
  const plan = opts.plan === 'sentences' ? fakeSentencePlan : fakeEnginePlan;
  const perToken = opts.samplesPerToken;
  const samplesOf = (tokens: readonly number[], voice: string, speed: number) =>
    perToken === undefined ? fakeEngineSamples(tokens, voice, speed) : fakeFixedSamples(tokens, perToken);
  const faultEvery = opts.faultEvery ?? 0;
  const marker = opts.invalidTextMarker;
  const modelSha256 = opts.modelSha256 ?? FAKE_ENGINE_MODEL;
  const stats: FakeEngineStats = { plans: 0, infers: 0, faults: 0, aborted: 0 };
  const started = Date.now();
  let active = 0;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') {
      req.resume();
      const h: EngineHealth = {
        state: 'ready', pid: process.pid, model: 'fake', modelSha256, device: 'cpu', threads: 1, runtime: 'fake',
        current: null, chunksDone: stats.infers, activeRequests: active, rssBytes: 0,
        uptimeSeconds: Math.round((Date.now() - started) / 1000),
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify(h));
    }
    if (path === '/voices') {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ voices: [] }));
    }
    if (req.method !== 'POST' || (path !== '/plan' && path !== '/infer')) {
      req.resume();
      return void res.writeHead(404).end();
    }
    readJson(req).then((body) => {
      if (path === '/plan') {
        stats.plans++;
        const text = (body as PlanRequest).text;
        res.writeHead(200, { 'content-type': 'application/x-kokoro-frames' });
        if (marker !== undefined && text.includes(marker)) {
          return void res.end(encodeError({ code: 'invalid_text', message: 'The fake engine refuses this text.', param: 'input' }));
        }
        const chunks = plan(text);
        for (const c of chunks) res.write(encodePlan(c.index, c.tokens, ''));
        const tokens = chunks.reduce((n, c) => n + c.tokens.length, 0);
        return void res.end(encodePlanned(chunks.length, tokens, planDigest(chunks)));
      }
      const r = body as InferRequest;
      const n = ++stats.infers;
      active++;
      res.writeHead(200, { 'content-type': 'application/x-kokoro-frames' });
      let i = 0;
      let samples = 0;
      let tokens = 0;
      // Set once the response ended, was cut on purpose or lost its client: counts it once.
      let finished = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        if (finished) return false;
        finished = true;
        active--;
        return true;
      };
      res.on('close', () => {
        if (!finish()) return;
        clearTimeout(timer);
        stats.aborted++;
      });
      const cut = faultEvery > 0 && n % faultEvery === 0;
      const next = () => {
        if (finished) return;
        if (i >= r.chunks.length) {
          finish();
          return void res.end(encodeEnd(r.chunks.length, samples, tokens));
        }
        const c = r.chunks[i++]!;
        res.write(encodeChunkStart(c.index, r.chunks.length, c.tokens.length));
        if (cut) {
          // The fault: the connection breaks after the CHUNK frame, before any audio.
          timer = setTimeout(() => {
            if (!finish()) return;
            stats.faults++;
            res.destroy();
          }, chunkMs);
          return;
        }
        timer = setTimeout(() => {
          if (finished) return;
          const s = samplesOf(c.tokens, r.voice, r.speed ?? 1);
          samples += s.length;
          tokens += c.tokens.length;
          res.write(encodeAudio(c.index, s));
          next();
        }, chunkMs);
      };
      next();
    }, () => {
      if (!res.headersSent) res.writeHead(400).end();
      else res.destroy();
    });
  });
  // As the real engine (engine/server.ts): longer than the gateway pool's idle keep-alive, so a reused
  // connection is not closed under it.
  server.keepAliveTimeout = 30_000;
  // `exclusive`: in a cluster worker, its own socket (as engine/main.ts does), not the primary's.
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: opts.port ?? 0, exclusive: true }, r));
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
