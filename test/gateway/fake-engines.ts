// Remote engines for supervisor and chunk-layer tests: HTTP servers that speak the real frame
// protocol (/synthesize, or /plan and /infer over a deterministic fake model) and answer
// /health as a ready engine, run by a real Supervisor.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  encodeAudio, encodeChunkStart, encodeEnd, encodePlan, encodePlanned, planDigest,
  type InferRequest, type PlannedChunk, type PlanRequest, type SynthesizeRequest,
} from '../../protocol/engine-wire.js';
import type { SupervisionConfig } from '../../gateway/engines/config.js';
import { Supervisor, type ChunkLender, type Lease } from '../../gateway/engines/supervisor.js';

export type Behaviour = (req: SynthesizeRequest, res: ServerResponse) => void;

export interface FakeEngine {
  id: string;
  url: string;
  server: Server;
}

/** `healthy: false` answers /health with 503, so the engine never becomes ready. */
export async function fakeEngine(id: string, behaviour: Behaviour, seen: SynthesizeRequest[], healthy = true): Promise<FakeEngine> {
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      if (!healthy) return res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ state: 'ready', pid: 1, model: 'fake', device: 'cpu', threads: 1, runtime: 'fake', current: null, chunksDone: 0, activeRequests: 0, rssBytes: 0, uptimeSeconds: 1 }));
    }
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const parsed = JSON.parse(body) as SynthesizeRequest;
      seen.push(parsed);
      res.writeHead(200, { 'content-type': 'application/x-kokoro-frames' });
      behaviour(parsed, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { id, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A started Supervisor over remote fake engines; resolves once `ready` of them are ready. */
export async function superviseFakes(config: SupervisionConfig, engines: FakeEngine[], ready = engines.length, chunkSlots = 1): Promise<Supervisor> {
  const sup = new Supervisor({
    config: { ...config, slots: engines.map((e) => ({ id: e.id, kind: 'remote', device: 'cpu', threads: 1, url: e.url, maxInFlight: 4, chunkSlots })) },
    engineMain: '/nonexistent',
    engineEnv: {},
    log: () => {},
  });
  sup.start();
  while (sup.readyCount() < ready) await new Promise((r) => sup.once('change', r));
  return sup;
}

/** The supervisor's lender, recording which engines were reported hung (killed) or broken (ejected). */
export function spyLender(sup: Supervisor) {
  const spy = {
    killed: [] as string[],
    ejected: [] as string[],
    wrap(lease: Lease): Lease {
      return {
        ...lease,
        failed(reason, fault) {
          if (fault === 'hung') spy.killed.push(lease.id);
          else if (fault === 'broken') spy.ejected.push(lease.id);
          lease.failed(reason, fault);
        },
      };
    },
    async acquire(signal: AbortSignal, opts: { avoid?: string; noEngineMs: number }): Promise<Lease | null> {
      const lease = await sup.acquire(signal, opts);
      return lease ? spy.wrap(lease) : null;
    },
    leaseChunk(avoid?: string): Lease | null {
      const lease = sup.leaseChunk(avoid);
      return lease ? spy.wrap(lease) : null;
    },
    readyCount: () => sup.readyCount(),
    modelSha256: () => sup.modelSha256(),
    onCapacity: (fn: () => void) => sup.onCapacity(fn),
  };
  return spy satisfies ChunkLender;
}

// ---- /plan and /infer over a fake model -------------------------------------------------

export const FAKE_MODEL = 'ab'.repeat(32);

/** The fake front end: one chunk per sentence ('.'-terminated); token ids are the char codes. */
export function fakePlan(text: string): PlannedChunk[] {
  return text.split('.').map((s) => s.trim()).filter((s) => s.length > 0)
    .map((s, index) => ({ index, tokens: [...s].map((ch) => ch.charCodeAt(0) % 178) }));
}

/** The fake model: samples depend on the tokens, the voice and the speed only. */
export function fakeSamples(tokens: readonly number[], voice: string, speed: number): Int16Array {
  let h = Math.round(speed * 100);
  for (const ch of voice) h = (h * 31 + ch.charCodeAt(0)) | 0;
  for (const t of tokens) h = (h * 31 + t) | 0;
  return Int16Array.from({ length: 50 + tokens.length * 10 }, (_, i) => ((h + i * 7919) % 30000) | 0);
}

/** Every chunk's samples, in order, as one unfaulted run would give them. */
export function fakeAudio(text: string, voice = 'af_heart', speed = 1): Int16Array[] {
  return fakePlan(text).map((c) => fakeSamples(c.tokens, voice, speed));
}

export interface ProtocolEngineOptions {
  healthy?: boolean;
  /** The model hash /health reports; null: none. */
  modelSha256?: string | null;
  /** How long one chunk takes, ms. */
  chunkMs?: number | ((chunk: PlannedChunk) => number);
  /** Changes the plan this engine makes (a different front end). */
  planFor?: (text: string) => PlannedChunk[];
  /** Plan: stop after this many PLAN frames (destroy the socket). */
  planCut?: number;
  /** Infer: what to do instead of serving; return true when handled. */
  onInfer?: (req: InferRequest, res: ServerResponse) => boolean;
}

export interface ProtocolEngine extends FakeEngine {
  plans: PlanRequest[];
  infers: InferRequest[];
  /** Chunks being served now, and the most at once. */
  active: number;
  peak: number;
  /** Chunk indexes completed, in completion order. */
  done: number[];
  /** When each of `done` finished (Date.now()). */
  doneAt: number[];
  /** /infer calls whose client went away before the end. */
  aborted: number;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => resolve(body ? JSON.parse(body) : {}));
  });
}

export async function protocolEngine(id: string, opts: ProtocolEngineOptions = {}): Promise<ProtocolEngine> {
  const model = opts.modelSha256 === undefined ? FAKE_MODEL : opts.modelSha256;
  const e = { plans: [], infers: [], active: 0, peak: 0, done: [], doneAt: [], aborted: 0 } as unknown as ProtocolEngine;
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      if (opts.healthy === false) return res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({
        state: 'ready', pid: 1, model: 'fake', ...(model ? { modelSha256: model } : {}), device: 'cpu', threads: 1, runtime: 'fake',
        current: null, chunksDone: 0, activeRequests: 0, rssBytes: 0, uptimeSeconds: 1,
      }));
    }
    void readJson(req).then((body) => {
      res.writeHead(200, { 'content-type': 'application/x-kokoro-frames' });
      if (req.url === '/plan') {
        const p = body as PlanRequest;
        e.plans.push(p);
        const chunks = (opts.planFor ?? fakePlan)(p.text);
        chunks.forEach((c, k) => {
          if (opts.planCut !== undefined && k >= opts.planCut) return;
          res.write(encodePlan(c.index, c.tokens, 'text'));
        });
        if (opts.planCut !== undefined && opts.planCut < chunks.length) {
          setTimeout(() => res.destroy(), 30);
          return;
        }
        const inputTokens = chunks.reduce((n, c) => n + c.tokens.length, 0);
        res.end(encodePlanned(chunks.length, inputTokens, planDigest(chunks)));
      } else if (req.url === '/infer') {
        const r = body as InferRequest;
        e.infers.push(r);
        if (opts.onInfer?.(r, res)) return;
        const c = r.chunks[0]!;
        e.active++;
        e.peak = Math.max(e.peak, e.active);
        res.write(encodeChunkStart(c.index, r.chunks.length, c.tokens.length));
        let finished = false;
        const ms = typeof opts.chunkMs === 'function' ? opts.chunkMs(c) : (opts.chunkMs ?? 20);
        const t = setTimeout(() => {
          finished = true;
          e.active--;
          e.done.push(c.index);
          e.doneAt.push(Date.now());
          const samples = fakeSamples(c.tokens, r.voice, r.speed ?? 1);
          res.write(encodeAudio(c.index, samples));
          res.end(encodeEnd(1, samples.length, c.tokens.length));
        }, ms);
        res.on('close', () => {
          if (finished) return;
          clearTimeout(t);
          e.active--;
          e.aborted++;
        });
      } else {
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  e.id = id;
  e.server = server;
  e.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return e;
}
