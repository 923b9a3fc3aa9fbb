// The engine protocol: the one place where the gateway and the engines agree on bytes.
// HTTP over loopback, a Unix socket, or another host; the gateway imports these types.
//
//   POST /synthesize   SynthesizeRequest (JSON)  ->  200, body = a stream of frames
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
// A stream that stops without END or ERROR is a failure, never a short success.
import type { Lang } from './constants.js';

export const FrameKind = {
  AUDIO: 1,
  CHUNK: 2,
  HEARTBEAT: 3,
  END: 4,
  ERROR: 5,
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

export type EngineErrorCode =
  | 'invalid_voice'
  | 'invalid_text'
  | 'invalid_speed'
  | 'invalid_request'
  | 'not_ready'
  | 'overloaded'
  | 'inference_failed'
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
  | { kind: typeof FrameKind.ERROR; error: EngineError };

/** The engine's own view of itself (the gateway's view of a slot is EngineState in gateway/engines). */
export type EngineHealthState = 'loading' | 'ready' | 'busy';

export interface EngineHealth {
  state: EngineHealthState;
  pid: number;
  model: string;
  /** `cpu` or `cuda:N`. */
  device: string;
  threads: number;
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

export function encodeChunkStart(chunk: number, chunks: number, tokens: number): Buffer {
  const p = Buffer.allocUnsafe(12);
  p.writeUInt32LE(chunk, 0);
  p.writeUInt32LE(chunks, 4);
  p.writeUInt32LE(tokens, 8);
  return frame(FrameKind.CHUNK, p);
}

export function encodeHeartbeat(): Buffer {
  return frame(FrameKind.HEARTBEAT, Buffer.alloc(0));
}

export function encodeEnd(chunks: number, samples: number, inputTokens: number): Buffer {
  const p = Buffer.allocUnsafe(12);
  p.writeUInt32LE(chunks, 0);
  p.writeUInt32LE(samples, 4);
  p.writeUInt32LE(inputTokens, 8);
  return frame(FrameKind.END, p);
}

export function encodeError(error: EngineError): Buffer {
  return frame(FrameKind.ERROR, Buffer.from(JSON.stringify(error), 'utf8'));
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
    default:
      throw new Error(`unknown frame kind ${kind}`);
  }
}
