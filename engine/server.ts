// The engine's HTTP face (engine/protocol.ts): /synthesize streams frames, /health and
// /voices answer from this thread while the inference thread works.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { encodeAudio, encodeChunkStart, encodeEnd, encodeError, encodeHeartbeat, type EngineError, type EngineHealth, type SynthesizeRequest } from '../protocol/engine-wire.js';
import { engineAuthCheck, requireEngineAuth } from './auth.js';
import { ChunkScheduler, type ChunkJob } from './scheduler.js';
import { EngineJobError, type SynthThread, type ThreadInfo } from './synth-thread.js';
import { parseVoiceSpec, voiceInfo, voiceLang, VoiceError, type VoicePart } from './voices.js';
import { type Lang } from '../protocol/constants.js';
import { isValidSpeed, SPEED_MAX, SPEED_MIN } from '../protocol/constants.js';

export interface EngineServerOptions {
  thread: SynthThread;
  voiceNames: ReadonlySet<string>;
  modelPath: string;
  threads: number;
  /** Requests held at once; more get 503 overloaded. */
  maxActive: number;
  heartbeatMs: number;
  maxBodyBytes: number;
  /** Longest text accepted, in characters (the gateway's MAX_INPUT_CHARS). */
  maxTextChars?: number;
  /** When set, every route requires `Authorization: Bearer <token>` (engine/auth.ts). */
  token?: string;
  log: (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => void;
}

export const FRAME_CONTENT_TYPE = 'application/x-kokoro-frames';

export class EngineServer {
  readonly http: Server;
  private info: ThreadInfo | null = null;
  private readonly scheduler: ChunkScheduler;
  private readonly started = Date.now();
  private nextId = 0;

  constructor(private readonly opts: EngineServerOptions) {
    this.scheduler = new ChunkScheduler((job, chunk) =>
      opts.thread.infer(job.id, chunk, job.chunks[chunk]!, (job as SpeechJob).voice, (job as SpeechJob).speed));
    const authorized = engineAuthCheck(opts.token);
    this.http = createServer((req, res) => {
      if (!requireEngineAuth(authorized, req, res)) return;
      this.route(req, res).catch((err) => {
        opts.log('error', `engine request failed: ${(err as Error).stack}`);
        if (!res.headersSent) sendJson(res, 500, { code: 'internal', message: 'internal error' });
        else res.destroy();
      });
    });
    this.http.keepAliveTimeout = 30_000;
  }

  markReady(info: ThreadInfo): void {
    this.info = info;
  }

  health(): EngineHealth {
    const cur = this.scheduler.current;
    return {
      state: this.info === null ? 'loading' : this.scheduler.size > 0 ? 'busy' : 'ready',
      pid: process.pid,
      model: this.opts.modelPath,
      device: this.info?.device ?? 'unknown',
      threads: this.opts.threads,
      runtime: this.info ? `${this.info.runtime} (${this.info.runtimeSource})` : 'loading',
      current: cur ? { requestId: cur.job.id, chunk: cur.chunk, tokens: cur.tokens, startedAt: cur.startedAt } : null,
      chunksDone: this.scheduler.chunksDone,
      activeRequests: this.scheduler.size,
      rssBytes: process.memoryUsage.rss(),
      uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
    };
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health' && req.method === 'GET') return sendJson(res, 200, this.health());
    if (path === '/voices' && req.method === 'GET') {
      return sendJson(res, 200, { voices: [...this.opts.voiceNames].map(voiceInfo) });
    }
    if (path === '/synthesize' && req.method === 'POST') return this.synthesize(req, res);
    sendJson(res, 404, { code: 'invalid_request', message: `no route ${req.method} ${path}` });
  }

  private async synthesize(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: SynthesizeRequest;
    try {
      body = JSON.parse(await readBody(req, this.opts.maxBodyBytes)) as SynthesizeRequest;
    } catch (err) {
      return sendJson(res, 400, { code: 'invalid_request', message: (err as Error).message });
    }
    const checked = this.validate(body);
    if ('code' in checked) return sendJson(res, checked.code === 'not_ready' || checked.code === 'overloaded' ? 503 : 400, checked);

    const id = `${process.pid}-${++this.nextId}`;
    res.writeHead(200, { 'content-type': FRAME_CONTENT_TYPE, 'cache-control': 'no-store' });
    res.flushHeaders();
    let finished = false;
    const heartbeat = setInterval(() => res.write(encodeHeartbeat()), this.opts.heartbeatMs);
    const finish = (last?: Buffer) => {
      if (finished) return;
      finished = true;
      clearInterval(heartbeat);
      if (last) res.end(last);
      else res.end();
    };

    let chunks: number[][];
    try {
      chunks = await this.opts.thread.prepare(id, checked.text, checked.lang);
    } catch (err) {
      return finish(encodeError(toEngineError(err)));
    }
    if (res.destroyed) return finish();
    if (chunks.length === 0) return finish(encodeError({ code: 'invalid_text', message: 'input has nothing to speak', param: 'text' }));
    if (checked.fromChunk > chunks.length) {
      return finish(encodeError({ code: 'invalid_request', message: `fromChunk ${checked.fromChunk} is past the last chunk (${chunks.length})`, param: 'fromChunk' }));
    }
    const inputTokens = chunks.reduce((n, c) => n + c.length, 0);
    let samplesSent = 0;

    const job: SpeechJob = {
      id, chunks, next: checked.fromChunk, paused: false, cancelled: false,
      voice: checked.voice, speed: checked.speed,
      onStart: (chunk) => res.write(encodeChunkStart(chunk, chunks.length, chunks[chunk]!.length)),
      onAudio: (chunk, samples) => {
        samplesSent += samples.length;
        if (!res.write(encodeAudio(chunk, samples))) {
          job.paused = true;
          res.once('drain', () => {
            job.paused = false;
            this.scheduler.pump();
          });
        }
      },
      onError: (err) => finish(encodeError(toEngineError(err))),
      onDone: () => finish(encodeEnd(chunks.length, samplesSent, inputTokens)),
    };
    // A closed connection stops the work at the next chunk boundary.
    res.on('close', () => {
      if (!finished) {
        this.scheduler.remove(job);
        finish();
      }
    });
    this.scheduler.add(job);
  }

  private validate(b: SynthesizeRequest): EngineError | { text: string; voice: readonly VoicePart[]; speed: number; lang: Lang; fromChunk: number } {
    if (this.info === null) return { code: 'not_ready', message: 'engine is still loading' };
    if (this.scheduler.size >= this.opts.maxActive) return { code: 'overloaded', message: 'engine is at its request limit' };
    if (typeof b !== 'object' || b === null) return { code: 'invalid_request', message: 'body must be a JSON object' };
    if (typeof b.text !== 'string' || b.text.trim() === '') return { code: 'invalid_text', message: 'text must be a non-empty string', param: 'text' };
    if (this.opts.maxTextChars !== undefined && b.text.length > this.opts.maxTextChars) return { code: 'invalid_text', message: `text is longer than ${this.opts.maxTextChars} characters`, param: 'text' };
    if (b.text.includes('\0')) return { code: 'invalid_text', message: 'text must not contain NUL', param: 'text' };
    // A trust boundary: whatever the gateway checked, the spec is parsed here once and the
    // parts travel with the job, so no chunk parses it again.
    let parts;
    try {
      parts = parseVoiceSpec(b.voice, this.opts.voiceNames);
    } catch (err) {
      if (err instanceof VoiceError) return { code: 'invalid_voice', message: err.message, param: 'voice' };
      throw err;
    }
    const speed = b.speed ?? 1;
    if (!isValidSpeed(speed)) return { code: 'invalid_speed', message: `speed must be between ${SPEED_MIN} and ${SPEED_MAX}`, param: 'speed' };
    const lang = b.lang ?? voiceLang(parts[0]!.name);
    if (lang !== 'en-us' && lang !== 'en-gb') return { code: 'invalid_voice', message: 'only English voices (a*, b*) can be spoken by this engine', param: 'voice' };
    const fromChunk = b.fromChunk ?? 0;
    if (!Number.isInteger(fromChunk) || fromChunk < 0) return { code: 'invalid_request', message: 'fromChunk must be a non-negative integer', param: 'fromChunk' };
    return { text: b.text, voice: parts, speed, lang, fromChunk };
  }
}

interface SpeechJob extends ChunkJob {
  voice: readonly VoicePart[];
  speed: number;
}

function toEngineError(err: unknown): EngineError {
  if (err instanceof EngineJobError) return err.error;
  return { code: 'internal', message: (err as Error)?.message ?? String(err) };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > limit) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      parts.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}
