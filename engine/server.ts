// The engine's HTTP face (protocol/engine-wire.ts): /plan, /infer and /synthesize stream
// frames, /health and /voices answer from this thread while the inference thread works.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { encodeTiming, encodeWords, type ChunkTiming, encodeAudio, encodeChunkStart, encodeEnd, encodeError, encodeHeartbeat, encodePlan, encodePlanned, MAX_INFER_CHUNKS, planDigest, type EngineError, type EngineHealth, type InferRequest, type PhonemePlanRequest, type PhonemizeRequest, type PhonemizeResponse, type PlannedChunk, type PlanRequest, type SynthesizeRequest } from '../protocol/engine-wire.js';
import { chunkPhonemes, normalizePhonemes, PhonemeError } from './text/phoneme-chunks.js';
import type { ChunkOptions } from './text/index.js';
import type { Vocab } from './text/vocab.js';
import { engineAuthCheck, requireEngineAuth } from './auth.js';
import { ChunkScheduler, type ChunkJob, type JobChunk } from './scheduler.js';
import { EngineJobError, type SynthThread, type ThreadInfo } from './synth-thread.js';
import { parseVoiceSpec, voiceInfo, voiceLang, VoiceError, type VoicePart } from './voices.js';
import { isLang, LANGS, MAX_CHUNK_TOKENS, type Lang } from '../protocol/constants.js';
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
  /** Largest token id the model's vocabulary has (ids 1..maxTokenId are accepted by /infer). */
  maxTokenId: number;
  /** The model's phoneme vocabulary: plans from phonemes and /phonemize's token ids. */
  vocab: Vocab;
  /** How plans are cut (FIRST_CHUNK_TOKENS, CHUNK_RAMP), for plans from phonemes; absent: the defaults. */
  chunking?: ChunkOptions;
  /** SHA-256 of the model file, once known (the engine is marked ready only after). */
  modelSha256?: () => string | undefined;
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
  /** /plan requests in progress (they count towards maxActive with the scheduler's jobs). */
  private plans = 0;
  /** A chunk's timing from the model, kept beside its samples until its frames are written. */
  private readonly timings = new WeakMap<Int16Array, ChunkTiming>();
  /** Chunks that ran on the wide session. */
  private wideChunksDone = 0;

  constructor(private readonly opts: EngineServerOptions) {
    this.scheduler = new ChunkScheduler(async (job, chunk) => {
      const j = job as SpeechJob;
      // Wide only while this is the engine's one job: the gateway's hint says the other engines idle.
      const r = await opts.thread.inferTimed(job.id, chunk.index, chunk.tokens, j.voice, j.speed, j.wide === true && this.scheduler.size === 1);
      if (r.timing) this.timings.set(r.samples, r.timing);
      if (r.wide) this.wideChunksDone++;
      return r.samples;
    });
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
      state: this.info === null ? 'loading' : this.scheduler.size + this.plans > 0 ? 'busy' : 'ready',
      pid: process.pid,
      model: this.opts.modelPath,
      modelSha256: this.opts.modelSha256?.(),
      device: this.info?.device ?? 'unknown',
      threads: this.opts.threads,
      wideThreads: this.opts.thread.wideThreads,
      wideChunksDone: this.wideChunksDone,
      runtime: this.info ? `${this.info.runtime} (${this.info.runtimeSource})` : 'loading',
      current: cur ? { requestId: cur.job.id, chunk: cur.chunk, tokens: cur.tokens, startedAt: cur.startedAt } : null,
      chunksDone: this.scheduler.chunksDone,
      activeRequests: this.scheduler.size + this.plans,
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
    if (path === '/plan' && req.method === 'POST') return this.plan(req, res);
    if (path === '/infer' && req.method === 'POST') return this.infer(req, res);
    if (path === '/phonemize' && req.method === 'POST') return this.phonemize(req, res);
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
    const finish = this.open(res);

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

    this.run(id, res, chunks.map((tokens, index) => ({ index, tokens })), checked.fromChunk, checked.voice, checked.speed, finish,
      (sent) => encodeEnd(chunks.length, sent, inputTokens));
  }

  /** Runs a job's chunks through the scheduler, streaming CHUNK and AUDIO frames to `res`. */
  private run(id: string, res: ServerResponse, chunks: readonly JobChunk[], from: number, voice: readonly VoicePart[], speed: number,
    finish: (last?: Buffer) => void, endFrame: (samplesSent: number) => Buffer, wide = false): void {
    let samplesSent = 0;
    const job: SpeechJob = {
      id, chunks, next: from, paused: false, cancelled: false, voice, speed, wide,
      onStart: (chunk, pos) => res.write(encodeChunkStart(chunk, chunks.length, chunks[pos]!.tokens.length)),
      onAudio: (chunk, samples) => {
        samplesSent += samples.length;
        const timing = this.timings.get(samples);
        if (timing) res.write(encodeTiming(chunk, timing));
        if (!res.write(encodeAudio(chunk, samples))) {
          job.paused = true;
          res.once('drain', () => {
            job.paused = false;
            this.scheduler.pump();
          });
        }
      },
      onError: (err) => finish(encodeError(toEngineError(err))),
      onDone: () => finish(endFrame(samplesSent)),
    };
    // A closed connection stops the work at the next chunk boundary.
    res.on('close', () => {
      if (!job.cancelled) this.scheduler.remove(job);
      finish();
    });
    this.scheduler.add(job);
  }

  /** Opens a frame stream with heartbeats; `finish` ends it once (with a last frame, if any). */
  private open(res: ServerResponse): (last?: Buffer) => void {
    res.writeHead(200, { 'content-type': FRAME_CONTENT_TYPE, 'cache-control': 'no-store' });
    res.flushHeaders();
    let finished = false;
    const heartbeat = setInterval(() => res.write(encodeHeartbeat()), this.opts.heartbeatMs);
    return (last?: Buffer) => {
      if (finished) return;
      finished = true;
      clearInterval(heartbeat);
      if (res.destroyed) return;
      if (last) res.end(last);
      else res.end();
    };
  }

  private async plan(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: PlanRequest;
    try {
      body = JSON.parse(await readBody(req, this.opts.maxBodyBytes)) as PlanRequest;
    } catch (err) {
      return sendJson(res, 400, { code: 'invalid_request', message: (err as Error).message });
    }
    if (typeof body === 'object' && body !== null && 'phonemes' in body) return this.planFromPhonemes(body as unknown as PhonemePlanRequest, res);
    const checked = this.validatePlan(body);
    if ('code' in checked) return sendJson(res, statusOf(checked), checked);

    const id = `${process.pid}-${++this.nextId}`;
    this.plans++;
    let counted = true;
    const uncount = () => {
      if (counted) this.plans--;
      counted = false;
    };
    const finish = this.open(res);
    const planned: PlannedChunk[] = [];
    let inputTokens = 0;
    const handle = this.opts.thread.plan(id, checked.text, checked.lang, (c) => {
      planned.push({ index: c.index, tokens: c.tokens });
      inputTokens += c.tokens.length;
      if (!res.destroyed) res.write(Buffer.concat([encodeWords(c.index, c.words), encodePlan(c.index, c.tokens, c.text)]));
    });
    // A client that leaves stops the planning at the next chunk.
    res.on('close', () => {
      handle.cancel();
      uncount();
      finish();
    });
    try {
      const r = await handle.done;
      if (r.cancelled) return finish();
      if (planned.length === 0) return finish(encodeError({ code: 'invalid_text', message: 'input has nothing to speak', param: 'text' }));
      finish(encodePlanned(planned.length, inputTokens, planDigest(planned)));
    } catch (err) {
      finish(encodeError(toEngineError(err)));
    } finally {
      uncount();
    }
  }

  /**
   * /plan from phonemes: no G2P, so the whole plan is made at once on this thread (a plain
   * string walk) and streamed as the same PLAN frames (each one's text is its phonemes).
   */
  private planFromPhonemes(b: PhonemePlanRequest, res: ServerResponse): void {
    const bad = this.admit(b) ?? this.checkPhonemes(b.phonemes);
    if (bad) return sendJson(res, statusOf(bad), bad);
    if (b.lang !== undefined && !isLang(b.lang)) return sendJson(res, 400, { code: 'invalid_request', message: `lang must be one of ${LANGS.join(', ')}`, param: 'lang' });
    let chunks;
    try {
      chunks = chunkPhonemes(normalizePhonemes(b.phonemes, this.opts.vocab), this.opts.vocab, this.opts.chunking);
    } catch (err) {
      if (err instanceof PhonemeError) return sendJson(res, 400, { code: 'invalid_phonemes', message: err.message, param: 'phonemes' });
      throw err;
    }
    if (chunks.length === 0) return sendJson(res, 400, { code: 'invalid_phonemes', message: 'phonemes have nothing to speak (only punctuation)', param: 'phonemes' });
    const finish = this.open(res);
    let inputTokens = 0;
    for (const c of chunks) {
      inputTokens += c.tokens.length;
      res.write(Buffer.concat([encodeWords(c.index, c.words), encodePlan(c.index, c.tokens, c.phonemes)]));
    }
    finish(encodePlanned(chunks.length, inputTokens, planDigest(chunks)));
  }

  private checkPhonemes(phonemes: unknown): EngineError | null {
    if (typeof phonemes !== 'string') return { code: 'invalid_phonemes', message: 'phonemes must be a string', param: 'phonemes' };
    if (this.opts.maxTextChars !== undefined && phonemes.length > this.opts.maxTextChars) return { code: 'invalid_phonemes', message: `phonemes are longer than ${this.opts.maxTextChars} characters`, param: 'phonemes' };
    return null;
  }

  /**
   * /phonemize: the text front end's phonemes for `text`, whole sentences, made on the
   * inference thread one sentence per turn like a plan (so a long text never holds a chunk up).
   */
  private async phonemize(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let b: PhonemizeRequest;
    try {
      b = JSON.parse(await readBody(req, this.opts.maxBodyBytes)) as PhonemizeRequest;
    } catch (err) {
      return sendJson(res, 400, { code: 'invalid_request', message: (err as Error).message });
    }
    const bad = this.admit(b) ?? this.checkText(b.text);
    if (bad) return sendJson(res, statusOf(bad), bad);
    if (!isLang(b.lang)) return sendJson(res, 400, { code: 'invalid_request', message: `lang must be one of ${LANGS.join(', ')}`, param: 'lang' });
    const id = `${process.pid}-${++this.nextId}`;
    this.plans++;
    const pieces: string[] = [];
    const handle = this.opts.thread.plan(id, b.text, b.lang, (c) => pieces.push(c.phonemes ?? ''), { whole: true });
    res.on('close', () => handle.cancel());
    try {
      const r = await handle.done;
      if (r.cancelled || res.destroyed) return;
      const phonemes = pieces.join(' ');
      if (phonemes === '') return sendJson(res, 400, { code: 'invalid_text', message: 'input has nothing to speak', param: 'text' });
      sendJson(res, 200, { phonemes, tokens: this.opts.vocab.encode(phonemes) } satisfies PhonemizeResponse);
    } catch (err) {
      const e = toEngineError(err);
      if (!res.destroyed) sendJson(res, e.code === 'internal' ? 500 : 400, e);
    } finally {
      this.plans--;
    }
  }

  private async infer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: InferRequest;
    try {
      body = JSON.parse(await readBody(req, this.opts.maxBodyBytes)) as InferRequest;
    } catch (err) {
      return sendJson(res, 400, { code: 'invalid_request', message: (err as Error).message });
    }
    const checked = this.validateInfer(body);
    if ('code' in checked) return sendJson(res, statusOf(checked), checked);
    const id = checked.requestId ?? `${process.pid}-${++this.nextId}`;
    const finish = this.open(res);
    const inputTokens = checked.chunks.reduce((n, c) => n + c.tokens.length, 0);
    this.run(id, res, checked.chunks, 0, checked.voice, checked.speed, finish,
      (sent) => encodeEnd(checked.chunks.length, sent, inputTokens), checked.wide);
  }

  /** What every request needs: the engine ready, and room for one more request. */
  private admit(b: unknown): EngineError | null {
    if (this.info === null) return { code: 'not_ready', message: 'engine is still loading' };
    if (this.scheduler.size + this.plans >= this.opts.maxActive) return { code: 'overloaded', message: 'engine is at its request limit' };
    if (typeof b !== 'object' || b === null || Array.isArray(b)) return { code: 'invalid_request', message: 'body must be a JSON object' };
    return null;
  }

  private checkText(text: unknown): EngineError | null {
    if (typeof text !== 'string' || text.trim() === '') return { code: 'invalid_text', message: 'text must be a non-empty string', param: 'text' };
    if (this.opts.maxTextChars !== undefined && text.length > this.opts.maxTextChars) return { code: 'invalid_text', message: `text is longer than ${this.opts.maxTextChars} characters`, param: 'text' };
    if (text.includes('\0')) return { code: 'invalid_text', message: 'text must not contain NUL', param: 'text' };
    return null;
  }

  private voiceParts(voice: unknown): EngineError | VoicePart[] {
    // A trust boundary: whatever the gateway checked, the spec is parsed here once and the
    // parts travel with the job, so no chunk parses it again.
    try {
      return parseVoiceSpec(voice as string, this.opts.voiceNames);
    } catch (err) {
      if (err instanceof VoiceError) return { code: 'invalid_voice', message: err.message, param: 'voice' };
      throw err;
    }
  }

  private validatePlan(b: PlanRequest): EngineError | { text: string; lang: Lang } {
    const bad = this.admit(b) ?? this.checkText(b.text);
    if (bad) return bad;
    if (b.lang !== undefined && !isLang(b.lang)) return { code: 'invalid_request', message: `lang must be one of ${LANGS.join(', ')}`, param: 'lang' };
    let lang: Lang | undefined = b.lang;
    if (lang === undefined && b.voice !== undefined) {
      const parts = this.voiceParts(b.voice);
      if ('code' in parts) return parts;
      lang = voiceLang(parts[0]!.name);
      if (!isLang(lang)) return { code: 'invalid_voice', message: `voice '${parts[0]!.name}' speaks a language this engine cannot speak yet; pass lang (${LANGS.join(', ')})`, param: 'voice' };
    }
    return { text: b.text, lang: lang ?? 'en-us' };
  }

  private validateInfer(b: InferRequest): EngineError | { requestId?: string; voice: readonly VoicePart[]; speed: number; chunks: JobChunk[]; wide: boolean } {
    const bad = this.admit(b);
    if (bad) return bad;
    if (b.requestId !== undefined && (typeof b.requestId !== 'string' || b.requestId.length > 200 || /[\0-\x1f]/.test(b.requestId))) {
      return { code: 'invalid_request', message: 'requestId must be a printable string of at most 200 characters', param: 'requestId' };
    }
    const parts = this.voiceParts(b.voice);
    if ('code' in parts) return parts;
    const speed = b.speed ?? 1;
    if (!isValidSpeed(speed)) return { code: 'invalid_speed', message: `speed must be between ${SPEED_MIN} and ${SPEED_MAX}`, param: 'speed' };
    if (!Array.isArray(b.chunks) || b.chunks.length < 1 || b.chunks.length > MAX_INFER_CHUNKS) {
      return { code: 'invalid_request', message: `chunks must be an array of 1 to ${MAX_INFER_CHUNKS} chunks`, param: 'chunks' };
    }
    const chunks: JobChunk[] = [];
    const max = this.opts.maxTokenId;
    for (const [i, c] of b.chunks.entries()) {
      const where = `chunks[${i}]`;
      if (typeof c !== 'object' || c === null) return { code: 'invalid_request', message: `${where} must be an object`, param: 'chunks' };
      if (!Number.isInteger(c.index) || c.index < 0 || c.index > 0xffffffff) {
        return { code: 'invalid_request', message: `${where}.index must be a non-negative integer`, param: 'chunks' };
      }
      if (!Array.isArray(c.tokens) || c.tokens.length < 1 || c.tokens.length > MAX_CHUNK_TOKENS) {
        return { code: 'invalid_request', message: `${where}.tokens must be an array of 1 to ${MAX_CHUNK_TOKENS} token ids`, param: 'chunks' };
      }
      for (const t of c.tokens) {
        if (!Number.isInteger(t) || t < 1 || t > max) {
          return { code: 'invalid_request', message: `${where}.tokens has ${JSON.stringify(t)}: token ids are integers from 1 to ${max}`, param: 'chunks' };
        }
      }
      chunks.push({ index: c.index, tokens: c.tokens.slice() });
    }
    if (b.wide !== undefined && typeof b.wide !== 'boolean') return { code: 'invalid_request', message: 'wide must be a boolean', param: 'wide' };
    return { requestId: b.requestId, voice: parts, speed, chunks, wide: b.wide === true };
  }

  private validate(b: SynthesizeRequest): EngineError | { text: string; voice: readonly VoicePart[]; speed: number; lang: Lang; fromChunk: number } {
    if (this.info === null) return { code: 'not_ready', message: 'engine is still loading' };
    if (this.scheduler.size >= this.opts.maxActive) return { code: 'overloaded', message: 'engine is at its request limit' };
    if (typeof b !== 'object' || b === null) return { code: 'invalid_request', message: 'body must be a JSON object' };
    const badText = this.checkText(b.text);
    if (badText) return badText;
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
    if (b.lang !== undefined && !isLang(b.lang)) return { code: 'invalid_request', message: `lang must be one of ${LANGS.join(', ')}`, param: 'lang' };
    const lang = b.lang ?? voiceLang(parts[0]!.name);
    if (!isLang(lang)) return { code: 'invalid_voice', message: `voice '${parts[0]!.name}' speaks a language this engine cannot speak yet; pass lang (${LANGS.join(', ')})`, param: 'voice' };
    const fromChunk = b.fromChunk ?? 0;
    if (!Number.isInteger(fromChunk) || fromChunk < 0) return { code: 'invalid_request', message: 'fromChunk must be a non-negative integer', param: 'fromChunk' };
    return { text: b.text, voice: parts, speed, lang, fromChunk };
  }
}

interface SpeechJob extends ChunkJob {
  voice: readonly VoicePart[];
  speed: number;
  /** InferRequest.wide: the gateway saw every other engine idle. */
  wide: boolean;
}

function statusOf(e: EngineError): number {
  return e.code === 'not_ready' || e.code === 'overloaded' ? 503 : 400;
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
