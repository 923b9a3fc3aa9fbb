// The engine protocol: the one place where the gateway and the engines agree on bytes.
// HTTP over loopback, a Unix socket, or another host; the gateway imports these types.
//
//   POST /plan         PlanRequest (JSON)        ->  200, frames: PLAN per chunk as the front end
//                      produces it (the first one before the rest of the text is read), then
//                      PLANNED (or ERROR), with HEARTBEAT while it works (a plan step can wait for
//                      the chunk in flight on the inference thread). The gateway plans a request
//                      once, on one engine.
//   POST /plan         PhonemePlanRequest (JSON) ->  the same frames, planned from Kokoro phonemes
//                      instead of text (no G2P; each PLAN frame's text is the chunk's phonemes).
//   POST /phonemize    PhonemizeRequest (JSON)   ->  200 PhonemizeResponse (JSON): the text front
//                      end's phonemes and their token ids, whole sentences (no chunking for latency).
//   POST /infer        InferRequest (JSON)       ->  200, frames: CHUNK, AUDIO per chunk given
//                      (token ids in, audio out: no text, so every engine speaks the same plan)
//                      with HEARTBEAT while working, then END (or ERROR).
//   POST /synthesize   SynthesizeRequest (JSON)  ->  200, frames: CHUNK, AUDIO, HEARTBEAT, then
//                      END (or ERROR): text in, audio out in one stream (standalone use, tools).
//   GET  /health       EngineHealth (JSON)
//   GET  /voices       { voices: VoiceInfo[] }
//
// Frame layout (all integers little-endian):
//   u8  kind
//   u32 payload length in bytes
//   payload
// kinds:
//   AUDIO      u32 chunk index, u32 sample count, then samples as s16le mono 24 kHz
//   CHUNK      u32 chunk index, u32 chunk count, u32 token count   (work on a chunk began)
//   HEARTBEAT  empty (the engine's I/O thread is alive; sent while a chunk is in progress)
//   END        u32 chunk count, u32 total samples sent in this stream, u32 input tokens
//   ERROR      UTF-8 JSON EngineError
//   PLAN       u32 chunk index, u32 token count n, n x u16 token ids, then the chunk's text as
//              UTF-8 (the rest of the payload; for captions and logs, never for synthesis)
//   PLANNED    u32 chunk count, u32 input tokens, 32 bytes SHA-256 plan digest (planDigest())
//   TIMING     u32 chunk index, u32 samples cut from the start of the model's output (the edge
//              trim: sample 0 of the AUDIO frame is the model's sample `cut`), u32 samples per
//              duration unit (600), u32 n, n x u16 the model's predicted duration of each token,
//              both pads included (n = tokens + 2). Sent just before the chunk's AUDIO frame,
//              by engines whose model has the durations output (models/durations.ts).
//   WORDS      u32 chunk index, then UTF-8 JSON [[text, first token, end token], ...]: the
//              words of the chunk and the token ids (pads excluded, end exclusive) each was
//              read as. Sent just before the chunk's PLAN frame; not part of the plan digest.
// A stream that stops without its closing frame (END, PLANNED) or ERROR is a failure, never a
// short success.
import { createHash } from 'node:crypto';
import type { Lang } from './constants.js';

export const FrameKind = {
  AUDIO: 1,
  CHUNK: 2,
  HEARTBEAT: 3,
  END: 4,
  ERROR: 5,
  PLAN: 6,
  PLANNED: 7,
  TIMING: 8,
  WORDS: 9,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export interface SynthesizeRequest {
  text: string;
  /** A voice name or a mix: `af_heart`, `af_heart+am_adam`, `af_heart(2)+am_adam(1)`. */
  voice: string;
  /** SPEED_MIN to SPEED_MAX (constants.ts). */
  speed?: number;
  /** Defaults to the first voice's language (a* en-us, b* en-gb). */
  lang?: Lang;
  /** Start at this chunk index (resume after a failure elsewhere). */
  fromChunk?: number;
}

export interface PlanRequest {
  text: string;
  /** Language of the text; defaults to the voice's language when `voice` is given, else en-us. */
  lang?: Lang;
  /** Only to default `lang` (a* en-us, b* en-gb); planning does not depend on the voice otherwise. */
  voice?: string;
}

/**
 * A plan from phonemes (Kokoro's phoneme alphabet, what /phonemize returns): each character is
 * one token id of the model's vocabulary; a character outside it is an `invalid_phonemes` error
 * naming it. Cut into chunks with the same sizes as text (engine/text/phoneme-chunks.ts).
 */
export interface PhonemePlanRequest {
  phonemes: string;
  /** Not needed to plan (phonemes have no language); accepted so the body mirrors PlanRequest. */
  lang?: Lang;
  voice?: string;
}

export interface PhonemizeRequest {
  text: string;
  lang: Lang;
}

export interface PhonemizeResponse {
  /** The phonemes of every sentence, joined by a space. */
  phonemes: string;
  /** Their token ids (one per character, pads excluded). */
  tokens: number[];
}

/** One chunk of a plan: what /infer is fed. */
export interface PlannedChunk {
  index: number;
  /** Token ids, pads excluded; at most MAX_CHUNK_TOKENS. */
  tokens: number[];
  /** The words the tokens were read from (WORDS frame); captions only, never synthesis. */
  words?: PlanWord[];
}

/** One word of a chunk: its text and its token range [start, end) in the chunk's ids. */
export interface PlanWord {
  text: string;
  start: number;
  end: number;
}

/** What the model said about a chunk's timing (TIMING frame). */
export interface ChunkTiming {
  /** Samples cut from the start of the model's output by the edge trim. */
  cut: number;
  samplesPerUnit: number;
  /** Per token, both pads included. */
  durations: Uint16Array;
}

export interface InferRequest {
  /** For the engine's logs and /health's `current`. */
  requestId?: string;
  voice: string;
  speed?: number;
  /** Synthesized in the order given; at most MAX_INFER_CHUNKS. */
  chunks: PlannedChunk[];
  /**
   * Every other engine is idle: run on the wide session (all cores) if the engine has one and
   * this is its only request. The samples are the same; only the thread count differs.
   */
  wide?: boolean;
}

/** Chunks one /infer call may carry. */
export const MAX_INFER_CHUNKS = 64;

export type EngineErrorCode =
  | 'invalid_voice'
  | 'invalid_text'
  | 'invalid_speed'
  | 'invalid_phonemes'
  | 'invalid_request'
  | 'not_ready'
  | 'overloaded'
  | 'inference_failed'
  | 'unauthorized'
  | 'internal';

export interface EngineError {
  code: EngineErrorCode;
  message: string;
  /** The request field at fault, when there is one. */
  param?: string;
}

export type Frame =
  | { kind: typeof FrameKind.AUDIO; chunk: number; samples: Int16Array }
  | { kind: typeof FrameKind.CHUNK; chunk: number; chunks: number; tokens: number }
  | { kind: typeof FrameKind.HEARTBEAT }
  | { kind: typeof FrameKind.END; chunks: number; samples: number; inputTokens: number }
  | { kind: typeof FrameKind.ERROR; error: EngineError }
  | { kind: typeof FrameKind.PLAN; chunk: number; tokens: number[]; text: string }
  | { kind: typeof FrameKind.PLANNED; chunks: number; inputTokens: number; digest: string }
  | { kind: typeof FrameKind.TIMING; chunk: number; timing: ChunkTiming }
  | { kind: typeof FrameKind.WORDS; chunk: number; words: PlanWord[] };

/** The engine's own view of itself (the gateway's view of a slot is EngineState in gateway/engines). */
export type EngineHealthState = 'loading' | 'ready' | 'busy';

export interface EngineHealth {
  state: EngineHealthState;
  pid: number;
  model: string;
  /**
   * SHA-256 of the model file the engine runs (from the verified manifest, or hashed at start
   * for a file outside it). Part of every cached chunk's key: audio from two models never mixes.
   * Absent (an engine that does not say): its chunks are never cached.
   */
  modelSha256?: string;
  /** `cpu` or `cuda:N`. */
  device: string;
  threads: number;
  /** Threads of the wide session (WIDE_THREADS) once loaded; 0 when it has none (yet). Optional: older engines. */
  wideThreads?: number;
  /** Of `chunksDone`, those that ran on the wide session. Optional: older engines. */
  wideChunksDone?: number;
  /** ONNX Runtime library version actually loaded, e.g. `1.32.0`. */
  runtime: string;
  /** Chunk being synthesized now, if any. */
  current: { requestId: string; chunk: number; tokens: number; startedAt: number } | null;
  chunksDone: number;
  activeRequests: number;
  rssBytes: number;
  uptimeSeconds: number;
}

export interface VoiceInfo {
  name: string;
  lang: string;
  gender: 'female' | 'male';
}

// ---- encoding -------------------------------------------------------------------------

const HEADER = 5;

function frame(kind: FrameKind, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt8(kind, 0);
  out.writeUInt32LE(payload.length, 1);
  payload.copy(out, HEADER);
  return out;
}

export function encodeAudio(chunk: number, samples: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER + 8 + samples.byteLength);
  out.writeUInt8(FrameKind.AUDIO, 0);
  out.writeUInt32LE(8 + samples.byteLength, 1);
  out.writeUInt32LE(chunk, HEADER);
  out.writeUInt32LE(samples.length, HEADER + 4);
  Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).copy(out, HEADER + 8);
  return out;
}

/** Little-endian u32 fields, in order. */
function u32s(...values: number[]): Buffer {
  const p = Buffer.allocUnsafe(values.length * 4);
  values.forEach((v, i) => p.writeUInt32LE(v, i * 4));
  return p;
}

/** u32 index, u32 token count, u16 token ids: a chunk as PLAN frames and planDigest() see it. */
function packChunk(index: number, tokens: readonly number[]): Buffer {
  const b = Buffer.allocUnsafe(8 + tokens.length * 2);
  b.writeUInt32LE(index, 0);
  b.writeUInt32LE(tokens.length, 4);
  tokens.forEach((id, i) => b.writeUInt16LE(id, 8 + i * 2));
  return b;
}

export function encodeChunkStart(chunk: number, chunks: number, tokens: number): Buffer {
  return frame(FrameKind.CHUNK, u32s(chunk, chunks, tokens));
}

export function encodeHeartbeat(): Buffer {
  return frame(FrameKind.HEARTBEAT, Buffer.alloc(0));
}

export function encodeEnd(chunks: number, samples: number, inputTokens: number): Buffer {
  return frame(FrameKind.END, u32s(chunks, samples, inputTokens));
}

export function encodeError(error: EngineError): Buffer {
  return frame(FrameKind.ERROR, Buffer.from(JSON.stringify(error), 'utf8'));
}

export function encodePlan(chunk: number, tokens: readonly number[], text: string): Buffer {
  return frame(FrameKind.PLAN, Buffer.concat([packChunk(chunk, tokens), Buffer.from(text, 'utf8')]));
}

export function encodePlanned(chunks: number, inputTokens: number, digest: string): Buffer {
  const d = Buffer.from(digest, 'hex');
  if (d.length !== 32) throw new Error('plan digest must be 32 bytes of hex');
  return frame(FrameKind.PLANNED, Buffer.concat([u32s(chunks, inputTokens), d]));
}

export function encodeTiming(chunk: number, t: ChunkTiming): Buffer {
  const p = Buffer.allocUnsafe(16 + t.durations.length * 2);
  p.writeUInt32LE(chunk, 0);
  p.writeUInt32LE(t.cut, 4);
  p.writeUInt32LE(t.samplesPerUnit, 8);
  p.writeUInt32LE(t.durations.length, 12);
  t.durations.forEach((d, i) => p.writeUInt16LE(d, 16 + i * 2));
  return frame(FrameKind.TIMING, p);
}

export function encodeWords(chunk: number, words: readonly PlanWord[]): Buffer {
  const json = JSON.stringify(words.map((w) => [w.text, w.start, w.end]));
  return frame(FrameKind.WORDS, Buffer.concat([u32s(chunk), Buffer.from(json, 'utf8')]));
}

/**
 * The identity of a plan: SHA-256 over every chunk's index, token count and token ids, in
 * order. Two engines that would splice a file differently can never agree on it.
 */
export function planDigest(chunks: readonly PlannedChunk[]): string {
  const h = createHash('sha256');
  for (const c of chunks) h.update(packChunk(c.index, c.tokens));
  return h.digest('hex');
}

// ---- decoding -------------------------------------------------------------------------

/** Largest payload we accept: one 510-token chunk at speed 0.25 is well under this. */
export const MAX_FRAME_PAYLOAD = 64 * 1024 * 1024;

/**
 * Incremental frame parser: push() bytes as they arrive, get whole frames back.
 * A frame is returned only once every byte of it has arrived.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  push(data: Buffer): Frame[] {
    this.pending.push(data);
    this.pendingBytes += data.length;
    const frames: Frame[] = [];
    let buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    let pos = 0;
    while (buf.length - pos >= HEADER) {
      const kind = buf.readUInt8(pos);
      const len = buf.readUInt32LE(pos + 1);
      if (len > MAX_FRAME_PAYLOAD) throw new Error(`frame payload too large: ${len}`);
      if (buf.length - pos - HEADER < len) break;
      frames.push(decodePayload(kind, buf.subarray(pos + HEADER, pos + HEADER + len)));
      pos += HEADER + len;
    }
    buf = buf.subarray(pos);
    this.pending = buf.length ? [buf] : [];
    this.pendingBytes = buf.length;
    return frames;
  }

  /** Bytes received that do not yet form a whole frame. */
  get buffered(): number {
    return this.pendingBytes;
  }
}

function decodePayload(kind: number, p: Buffer): Frame {
  switch (kind) {
    case FrameKind.AUDIO: {
      const chunk = p.readUInt32LE(0);
      const count = p.readUInt32LE(4);
      if (p.length !== 8 + count * 2) throw new Error('audio frame length mismatch');
      // Copy so the samples are aligned and outlive the network buffer.
      const samples = new Int16Array(count);
      Buffer.from(samples.buffer).set(p.subarray(8));
      return { kind, chunk, samples };
    }
    case FrameKind.CHUNK:
      return { kind, chunk: p.readUInt32LE(0), chunks: p.readUInt32LE(4), tokens: p.readUInt32LE(8) };
    case FrameKind.HEARTBEAT:
      return { kind };
    case FrameKind.END:
      return { kind, chunks: p.readUInt32LE(0), samples: p.readUInt32LE(4), inputTokens: p.readUInt32LE(8) };
    case FrameKind.ERROR:
      return { kind, error: JSON.parse(p.toString('utf8')) as EngineError };
    case FrameKind.PLAN: {
      const chunk = p.readUInt32LE(0);
      const n = p.readUInt32LE(4);
      if (p.length < 8 + n * 2) throw new Error('plan frame length mismatch');
      const tokens = new Array<number>(n);
      for (let i = 0; i < n; i++) tokens[i] = p.readUInt16LE(8 + i * 2);
      return { kind, chunk, tokens, text: p.subarray(8 + n * 2).toString('utf8') };
    }
    case FrameKind.PLANNED:
      if (p.length !== 40) throw new Error('planned frame length mismatch');
      return { kind, chunks: p.readUInt32LE(0), inputTokens: p.readUInt32LE(4), digest: p.subarray(8, 40).toString('hex') };
    case FrameKind.TIMING: {
      const n = p.readUInt32LE(12);
      if (p.length !== 16 + n * 2) throw new Error('timing frame length mismatch');
      const durations = new Uint16Array(n);
      for (let i = 0; i < n; i++) durations[i] = p.readUInt16LE(16 + i * 2);
      return { kind, chunk: p.readUInt32LE(0), timing: { cut: p.readUInt32LE(4), samplesPerUnit: p.readUInt32LE(8), durations } };
    }
    case FrameKind.WORDS: {
      const raw = JSON.parse(p.subarray(4).toString('utf8')) as unknown;
      if (!Array.isArray(raw)) throw new Error('words frame is not a list');
      const words = raw.map((w): PlanWord => {
        if (!Array.isArray(w) || typeof w[0] !== 'string' || !Number.isInteger(w[1]) || !Number.isInteger(w[2])) throw new Error('bad word in words frame');
        return { text: w[0], start: w[1] as number, end: w[2] as number };
      });
      return { kind, chunk: p.readUInt32LE(0), words };
    }
    default:
      throw new Error(`unknown frame kind ${kind}`);
  }
}
