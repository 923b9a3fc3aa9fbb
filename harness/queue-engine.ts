// A fake engine for scheduling measurements: it speaks the real engine protocol (/plan, /infer,
// /health) over loopback HTTP, and its one "inference thread" is a FIFO of jobs that sleep,
// modelled on engine/synth-worker.ts and engine/scheduler.ts:
//   - an /infer chunk costs `callMs + tokenMs x tokens` (sleep, not CPU), one at a time: the
//     engine's own scheduler hands the thread one chunk at a time, round-robin across /infer calls;
//   - a /plan runs one step per chunk on the same FIFO (`planStepMs` each), and each step queues
//     the next one behind whatever arrived meanwhile (an inference), then a last step that says
//     PLANNED (it waits in the queue too, as the real one does).
// Times are multiplied by `scale`, so a paragraph's seconds of CPU can be simulated in a fraction of
// that. Every job is recorded (kind, engine, request, chunk, queued/started/ended), so a benchmark or
// a test can tell exactly when an engine idled and what waited.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  encodeAudio, encodeChunkStart, encodeEnd, encodeHeartbeat, encodePlan, encodePlanned, planDigest,
  type InferRequest, type PlannedChunk, type PlanRequest,
} from '../protocol/engine-wire.js';

export interface CostModel {
  /** Fixed cost of one inference call, model ms. */
  callMs: number;
  /** Cost per token of one inference call, model ms. */
  tokenMs: number;
  /** Cost of one plan step (front end for one chunk), model ms. */
  planStepMs: number;
  /** Wall ms per model ms (0.1: ten times faster than modelled). */
  scale: number;
}

export interface JobRecord {
  engine: string;
  kind: 'infer' | 'plan' | 'planned';
  requestId: string;
  /** Chunk index (plan: the index this step produced; planned: the chunk count). */
  chunk: number;
  tokens: number;
  /** performance.now() when it was queued on the thread, started and ended (NaN while it runs). */
  queuedAt: number;
  startedAt: number;
  endedAt: number;
  /** infer: the request asked for the wide session (InferRequest.wide). */
  wide?: boolean;
}

export interface QueueEngineOptions {
  cost: CostModel;
  /** The plan for a text (token ids per chunk). */
  planFor: (text: string) => PlannedChunk[];
  /** Model SHA-256 reported by /health (a cache key part). */
  modelSha256?: string;
  /** The request a plan's text belongs to, for the log (plans carry no request id). */
  nameOf?: (text: string) => string;
  /** Shared log of every job, all engines. */
  log: JobRecord[];
  /** Reported by /health: the engine has a wide session of this many threads (default 0: none). */
  wideThreads?: number;
}

export interface QueueEngine {
  id: string;
  url: string;
  server: Server;
  close(): Promise<void>;
}

interface Job {
  kind: JobRecord['kind'];
  requestId: string;
  chunk: number;
  tokens: number;
  costMs: number;
  queuedAt: number;
  wide?: boolean;
  /** Runs when the job's time is over. */
  done(): void;
  /** True: skipped when its turn comes (costs nothing), and `skipped` runs instead. */
  cancelled(): boolean;
  skipped?(): void;
}

const HEARTBEAT_MS = 200;

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      try {
        resolve(body ? JSON.parse(body) : {});
      } catch (e) {
        reject(e);
      }
    });
  });
}

export async function queueEngine(id: string, opts: QueueEngineOptions): Promise<QueueEngine> {
  const { cost, log } = opts;
  const fifo: Job[] = [];
  let running = false;

  const runNext = () => {
    if (running) return;
    const skipped: Job[] = [];
    let job: Job | undefined;
    while ((job = fifo.shift()) && job.cancelled()) skipped.push(job);
    if (job) {
      running = true;
      const j = job;
      // Logged when it starts (endedAt NaN until it ends), so a test can wait for a start.
      const rec: JobRecord = { engine: id, kind: j.kind, requestId: j.requestId, chunk: j.chunk, tokens: j.tokens, queuedAt: j.queuedAt, startedAt: performance.now(), endedAt: NaN, ...(j.wide ? { wide: true } : {}) };
      log.push(rec);
      setTimeout(() => {
        running = false;
        rec.endedAt = performance.now();
        j.done();
        runNext();
      }, j.costMs * cost.scale);
    }
    for (const s of skipped) s.skipped?.();
  };
  const enqueue = (job: Omit<Job, 'queuedAt'>) => {
    fifo.push({ ...job, queuedAt: performance.now() });
    runNext();
  };

  // The engine's I/O-side scheduler: one /infer chunk on the thread at a time, round-robin.
  interface InferJob {
    req: InferRequest;
    next: number;
    gone: boolean;
    start(c: PlannedChunk): void;
    audio(c: PlannedChunk): void;
    end(): void;
  }
  const inferJobs: InferJob[] = [];
  let cursor = 0;
  let inferOnThread = false;
  const dropInfer = (job: InferJob) => {
    const at = inferJobs.indexOf(job);
    if (at < 0) return;
    inferJobs.splice(at, 1);
    if (cursor > at) cursor--;
  };
  const pumpInfer = () => {
    if (inferOnThread || inferJobs.length === 0) return;
    const i = cursor % inferJobs.length;
    const job = inferJobs[i]!;
    cursor = i + 1;
    const c = job.req.chunks[job.next]!;
    inferOnThread = true;
    job.start(c);
    const off = () => {
      inferOnThread = false;
      pumpInfer();
    };
    enqueue({
      kind: 'infer', requestId: job.req.requestId ?? '', chunk: c.index, tokens: c.tokens.length, wide: job.req.wide === true,
      costMs: cost.callMs + cost.tokenMs * c.tokens.length,
      cancelled: () => job.gone,
      skipped: off,
      done: () => {
        if (!job.gone) {
          job.audio(c);
          job.next++;
          if (job.next >= job.req.chunks.length) {
            dropInfer(job);
            job.end();
          }
        }
        off();
      },
    });
  };

  const server = createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({
        state: 'ready', pid: process.pid, model: 'queue-fake', modelSha256: opts.modelSha256 ?? 'cd'.repeat(32), device: 'cpu', threads: 1, wideThreads: opts.wideThreads ?? 0,
        runtime: 'fake', current: null, chunksDone: 0, activeRequests: 0, rssBytes: 0, uptimeSeconds: 1,
      }));
    }
    void readJson(req).then((body) => {
      res.writeHead(200, { 'content-type': 'application/x-kokoro-frames' });
      // The real engine beats while a request waits for the thread; so does this one.
      const beat = setInterval(() => res.write(encodeHeartbeat()), HEARTBEAT_MS);
      let gone = false;
      res.on('close', () => {
        gone = true;
        clearInterval(beat);
      });
      const finish = (last: Buffer) => {
        clearInterval(beat);
        res.end(last);
      };
      if (req.url === '/plan') {
        const p = body as PlanRequest;
        const chunks = opts.planFor(p.text);
        const requestId = opts.nameOf?.(p.text) ?? '';
        const step = (k: number) => enqueue({
          kind: k < chunks.length ? 'plan' : 'planned', requestId, chunk: k, tokens: chunks[k]?.tokens.length ?? 0,
          costMs: k < chunks.length ? cost.planStepMs : 0,
          cancelled: () => gone,
          done: () => {
            if (gone) return;
            if (k < chunks.length) {
              res.write(encodePlan(k, chunks[k]!.tokens, 'text'));
              step(k + 1);
            } else {
              finish(encodePlanned(chunks.length, chunks.reduce((n, c) => n + c.tokens.length, 0), planDigest(chunks)));
            }
          },
        });
        step(0);
      } else if (req.url === '/infer') {
        const r = body as InferRequest;
        let samples = 0;
        let inputTokens = 0;
        const job: InferJob = {
          req: r, next: 0, gone: false,
          start: (c) => res.write(encodeChunkStart(c.index, r.chunks.length, c.tokens.length)),
          audio: (c) => {
            const s = Int16Array.from({ length: c.tokens.length * 10 }, (_, i) => (c.tokens[i % c.tokens.length]! * 97 + i) % 30000);
            samples += s.length;
            inputTokens += c.tokens.length;
            res.write(encodeAudio(c.index, s));
          },
          end: () => finish(encodeEnd(r.chunks.length, samples, inputTokens)),
        };
        res.on('close', () => {
          job.gone = true;
          dropInfer(job); // a chunk already on the thread runs out its time, as the real one does
        });
        inferJobs.push(job);
        pumpInfer();
      } else {
        finish(Buffer.alloc(0));
      }
    }, () => res.writeHead(400).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    id, url, server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
