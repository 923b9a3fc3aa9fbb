// Timed HTTP clients: an engine's frame stream (POST /synthesize) and the gateway's speech
// endpoint. node:http with a keep-alive agent, so connection setup is not in the figures
// after the first request; times are performance.now() milliseconds from just before the
// request is sent.
import { Agent, request } from 'node:http';
import { FrameDecoder, FrameKind, type SynthesizeRequest } from '../../protocol/engine-wire.js';
import { SAMPLE_RATE } from '../../protocol/constants.js';

export const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export async function getJson<T>(url: string, timeoutMs = 5000): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent, timeout: timeoutMs }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text as unknown as T });
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export interface EngineStreamTiming {
  /** First byte of the response body (the engine's CHUNK frame, before any audio). */
  firstByteMs: number;
  /** The first AUDIO frame complete: what the gateway can forward first. */
  firstAudioMs: number;
  /** Per chunk, in stream order: CHUNK frame arrival → its AUDIO frame complete. */
  chunkMs: number[];
  /** Token count of each chunk (from CHUNK frames). */
  chunkTokens: number[];
  /** Samples per chunk. */
  chunkSamples: number[];
  samples: number;
  audioSeconds: number;
  /** Request sent → END frame (or abort). */
  totalMs: number;
  complete: boolean;
}

/**
 * One synthesis against an engine. With `stopAfterFirstAudio` the connection is closed once
 * the first AUDIO frame is whole (the engine stops at its next chunk boundary).
 */
export function engineSynthesize(
  origin: string, body: SynthesizeRequest, opts: { stopAfterFirstAudio?: boolean; timeoutMs?: number } = {},
): Promise<EngineStreamTiming> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const out: EngineStreamTiming = {
      firstByteMs: NaN, firstAudioMs: NaN, chunkMs: [], chunkTokens: [], chunkSamples: [],
      samples: 0, audioSeconds: 0, totalMs: NaN, complete: false,
    };
    const decoder = new FrameDecoder();
    let chunkStartedAt = NaN;
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      out.totalMs = performance.now() - t0;
      out.audioSeconds = out.samples / SAMPLE_RATE;
      if (err) reject(err);
      else resolve(out);
    };
    const req = request(`${origin}/synthesize`, {
      method: 'POST', agent, timeout: opts.timeoutMs ?? 600_000,
      headers: { 'content-type': 'application/json', 'content-length': payload.length },
    }, (res) => {
      if (res.statusCode !== 200) {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => done(new Error(`engine answered ${res.statusCode}: ${Buffer.concat(parts).toString('utf8').slice(0, 300)}`)));
        return;
      }
      res.on('data', (d: Buffer) => {
        const now = performance.now();
        if (Number.isNaN(out.firstByteMs)) out.firstByteMs = now - t0;
        let frames;
        try {
          frames = decoder.push(d);
        } catch (err) {
          req.destroy();
          done(err as Error);
          return;
        }
        for (const f of frames) {
          if (f.kind === FrameKind.CHUNK) {
            chunkStartedAt = now;
            out.chunkTokens.push(f.tokens);
          } else if (f.kind === FrameKind.AUDIO) {
            if (Number.isNaN(out.firstAudioMs)) out.firstAudioMs = now - t0;
            out.chunkMs.push(now - chunkStartedAt);
            out.chunkSamples.push(f.samples.length);
            out.samples += f.samples.length;
            if (opts.stopAfterFirstAudio) {
              req.destroy();
              done();
              return;
            }
          } else if (f.kind === FrameKind.END) {
            out.complete = true;
          } else if (f.kind === FrameKind.ERROR) {
            req.destroy();
            done(new Error(`engine error frame: ${JSON.stringify(f.error)}`));
            return;
          }
        }
      });
      res.on('end', () => (out.complete ? done() : done(new Error('engine stream ended without an END frame'))));
      res.on('error', (err) => done(err));
    });
    req.on('timeout', () => req.destroy(new Error('engine request timed out')));
    req.on('error', (err) => done(err));
    req.end(payload);
  });
}

export interface SpeechTiming {
  status: number;
  firstByteMs: number;
  /** First byte past `headerBytes` (the streaming wav header is sent before any audio). */
  firstAudioByteMs: number;
  totalMs: number;
  bytes: number;
  contentType: string;
}

/**
 * POST /v1/audio/speech. With `stopAfterFirstByte` the client hangs up after the first body
 * byte past `headerBytes` (default 0).
 */
export function gatewaySpeech(
  origin: string, body: Record<string, unknown>,
  opts: { stopAfterFirstByte?: boolean; headerBytes?: number; timeoutMs?: number } = {},
): Promise<SpeechTiming> {
  const header = opts.headerBytes ?? 0;
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const out: SpeechTiming = { status: 0, firstByteMs: NaN, firstAudioByteMs: NaN, totalMs: NaN, bytes: 0, contentType: '' };
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      out.totalMs = performance.now() - t0;
      if (err) reject(err);
      else resolve(out);
    };
    const req = request(`${origin}/v1/audio/speech`, {
      method: 'POST', agent, timeout: opts.timeoutMs ?? 600_000,
      headers: { 'content-type': 'application/json', 'content-length': payload.length },
    }, (res) => {
      out.status = res.statusCode ?? 0;
      out.contentType = String(res.headers['content-type'] ?? '');
      if (out.status !== 200) {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => done(new Error(`gateway answered ${out.status}: ${Buffer.concat(parts).toString('utf8').slice(0, 300)}`)));
        return;
      }
      res.on('data', (d: Buffer) => {
        const now = performance.now();
        if (out.bytes === 0 && d.length > 0) out.firstByteMs = now - t0;
        out.bytes += d.length;
        if (Number.isNaN(out.firstAudioByteMs) && out.bytes > header) out.firstAudioByteMs = now - t0;
        if (opts.stopAfterFirstByte && out.bytes > header) {
          req.destroy();
          done();
        }
      });
      res.on('end', () => done());
      res.on('error', (err) => done(err));
    });
    req.on('timeout', () => req.destroy(new Error('gateway request timed out')));
    req.on('error', (err) => done(err));
    req.end(payload);
  });
}

/** The raw frame stream of one whole synthesis (to replay it later without inference). */
export function engineRaw(origin: string, body: SynthesizeRequest): Promise<Buffer> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(`${origin}/synthesize`, {
      method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': payload.length },
    }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(parts)) : reject(new Error(`engine answered ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
