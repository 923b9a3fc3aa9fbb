// A stand-in engine for load runs that measure the gateway alone (bench:heap): it speaks the
// engine protocol on loopback (/health, /plan, /infer) over a fake model, so thousands of
// requests cost the gateway its real work (planning, scheduling, encoding, HTTP) and the
// engine next to nothing. Unlike the test doubles it records nothing per request, so a long
// run does not grow this process. Faults on purpose: every `faultEvery`-th /infer breaks its
// connection after the CHUNK frame (the gateway re-runs the chunk elsewhere), and a text
// containing INVALID_TEXT_MARKER gets an ERROR frame (invalid_text: the client's 400).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  encodeAudio, encodeChunkStart, encodeEnd, encodeError, encodePlan, encodePlanned, planDigest,
  type EngineHealth, type InferRequest, type PlannedChunk, type PlanRequest,
} from '../../protocol/engine-wire.js';

export const INVALID_TEXT_MARKER = 'zzinvalidzz';
/** What /health reports as the model hash (keys the chunk cache when CACHE_MB > 0). */
export const FAKE_MODEL_SHA256 = 'fa'.repeat(32);

export interface FakeEngineOptions {
  /** How long one chunk takes, ms. */
  chunkMs?: number;
  /** Samples per token (Kokoro makes about 600-1200 at speed 1). */
  samplesPerToken?: number;
  /** Every Nth /infer is cut after its CHUNK frame (0: never). */
  faultEvery?: number;
}

export interface FakeEngineCounts {
  plans: number;
  infers: number;
  faults: number;
  /** /infer calls the gateway hung up on before the end. */
  aborted: number;
}

export interface FakeEngine {
  origin: string;
  readonly counts: FakeEngineCounts;
  close(): Promise<void>;
}

/** One chunk per sentence ('.'-terminated); token ids from the characters (1..177). */
export function fakePlan(text: string): PlannedChunk[] {
  return text.split('.').map((s) => s.trim()).filter((s) => s.length > 0)
    .map((s, index) => ({ index, tokens: [...s].slice(0, 500).map((ch) => 1 + (ch.charCodeAt(0) % 177)) }));
}

function samplesFor(tokens: readonly number[], perToken: number): Int16Array {
  const out = new Int16Array(tokens.length * perToken);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(6000 * Math.sin((i * (tokens[(i / perToken) | 0]! + 40)) / 900));
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFakeEngine(opts: FakeEngineOptions = {}): Promise<FakeEngine> {
  const chunkMs = opts.chunkMs ?? 5;
  const perToken = opts.samplesPerToken ?? 600;
  const faultEvery = opts.faultEvery ?? 0;
  const counts: FakeEngineCounts = { plans: 0, infers: 0, faults: 0, aborted: 0 };
  const started = Date.now();
  let active = 0;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') {
      req.resume();
      const h: EngineHealth = {
        state: 'ready', pid: process.pid, model: 'fake', modelSha256: FAKE_MODEL_SHA256, device: 'cpu', threads: 1, runtime: 'fake',
        current: null, chunksDone: counts.infers, activeRequests: active, rssBytes: 0, uptimeSeconds: Math.round((Date.now() - started) / 1000),
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(h));
      return;
    }
    if (req.method !== 'POST' || (path !== '/plan' && path !== '/infer')) {
      req.resume();
      res.writeHead(404).end();
      return;
    }
    void readBody(req).then((raw) => {
      res.writeHead(200, { 'content-type': 'application/x-kokoro-frames' });
      if (path === '/plan') {
        counts.plans++;
        const p = JSON.parse(raw) as PlanRequest;
        if (p.text.includes(INVALID_TEXT_MARKER)) {
          res.end(encodeError({ code: 'invalid_text', message: 'The fake engine refuses this text.', param: 'input' }));
          return;
        }
        const chunks = fakePlan(p.text);
        for (const c of chunks) res.write(encodePlan(c.index, c.tokens, ''));
        res.end(encodePlanned(chunks.length, chunks.reduce((n, c) => n + c.tokens.length, 0), planDigest(chunks)));
        return;
      }
      const r = JSON.parse(raw) as InferRequest;
      const c = r.chunks[0]!;
      const n = ++counts.infers;
      active++;
      res.write(encodeChunkStart(c.index, r.chunks.length, c.tokens.length));
      let finished = false;
      const done = () => {
        if (finished) return false;
        finished = true;
        active--;
        return true;
      };
      if (faultEvery > 0 && n % faultEvery === 0) {
        counts.faults++;
        setTimeout(() => {
          done();
          res.destroy();
        }, chunkMs);
        return;
      }
      const t = setTimeout(() => {
        if (!done()) return;
        const samples = samplesFor(c.tokens, perToken);
        res.write(encodeAudio(c.index, samples));
        res.end(encodeEnd(1, samples.length, c.tokens.length));
      }, chunkMs);
      res.on('close', () => {
        if (!done()) return;
        clearTimeout(t);
        counts.aborted++;
      });
    }, () => res.destroy());
  });
  server.keepAliveTimeout = 30_000;
  // `exclusive`: in a cluster worker, its own socket (as engine/main.ts does), not the primary's.
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
