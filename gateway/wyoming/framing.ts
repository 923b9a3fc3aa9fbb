// Wyoming's wire format: each event is one JSON header line
//   {"type": ..., "data"?: {...}, "data_length"?: n, "payload_length"?: m, "version"?: "..."}\n
// followed by `data_length` bytes of JSON (merged over the header's own `data`) and then
// `payload_length` raw bytes (audio). The parser below is incremental (bytes arrive in any
// pieces) and bounded: a header, data block or payload above its limit is a FramingError, and
// the connection that sent it is closed.

export interface WyomingEvent {
  type: string;
  data: Record<string, unknown>;
  payload?: Buffer;
}

/** The version we announce in headers (the protocol revision our events follow). */
export const WYOMING_VERSION = '1.10.2';

export interface FramingLimits {
  /** Longest header line, newline excluded. */
  maxHeaderBytes: number;
  /** Largest data block. */
  maxDataBytes: number;
  /** Largest payload. */
  maxPayloadBytes: number;
}

export const DEFAULT_LIMITS: FramingLimits = {
  maxHeaderBytes: 64 * 1024,
  maxDataBytes: 1024 * 1024,
  maxPayloadBytes: 4 * 1024 * 1024,
};

export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function lengthField(header: Record<string, unknown>, name: string, max: number): number {
  const v = header[name];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new FramingError(`'${name}' must be a non-negative integer`);
  if (v > max) throw new FramingError(`'${name}' is ${v} bytes; the limit is ${max}`);
  return v;
}

function parseJsonObject(bytes: Buffer, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new FramingError(`${what} is not valid JSON`);
  }
  if (!isObject(v)) throw new FramingError(`${what} must be a JSON object`);
  return v;
}

interface Pending {
  type: string;
  data: Record<string, unknown>;
  dataLength: number;
  payloadLength: number;
}

/** Turns bytes, in whatever pieces they arrive, into events. After a FramingError it stays failed. */
export class EventParser {
  private buf: Buffer = Buffer.alloc(0);
  private pending: Pending | null = null;
  private failed: FramingError | null = null;
  private readonly limits: FramingLimits;

  constructor(limits: Partial<FramingLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Bytes held that do not yet make a whole event. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Feeds bytes; returns the events they complete. Throws a FramingError on a malformed or oversized event. */
  push(chunk: Buffer): WyomingEvent[] {
    if (this.failed) throw this.failed;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: WyomingEvent[] = [];
    try {
      for (;;) {
        const ev = this.next();
        if (!ev) break;
        out.push(ev);
      }
    } catch (e) {
      this.failed = e instanceof FramingError ? e : new FramingError(String((e as Error)?.message ?? e));
      this.buf = Buffer.alloc(0);
      throw this.failed;
    }
    return out;
  }

  private next(): WyomingEvent | null {
    if (!this.pending) {
      const nl = this.buf.indexOf(0x0a);
      if (nl < 0) {
        if (this.buf.length > this.limits.maxHeaderBytes) throw new FramingError(`header line longer than ${this.limits.maxHeaderBytes} bytes`);
        return null;
      }
      if (nl > this.limits.maxHeaderBytes) throw new FramingError(`header line longer than ${this.limits.maxHeaderBytes} bytes`);
      const line = this.buf.subarray(0, nl);
      this.buf = this.buf.subarray(nl + 1);
      // Blank lines between events carry nothing; skip them.
      if (line.toString('utf8').trim().length === 0) return this.next();
      const header = parseJsonObject(line, 'header');
      const type = header.type;
      if (typeof type !== 'string' || type.length === 0 || type.length > 128) throw new FramingError("header needs a 'type' string");
      const data = header.data === undefined || header.data === null ? {} : header.data;
      if (!isObject(data)) throw new FramingError("'data' must be a JSON object");
      this.pending = {
        type,
        data,
        dataLength: lengthField(header, 'data_length', this.limits.maxDataBytes),
        payloadLength: lengthField(header, 'payload_length', this.limits.maxPayloadBytes),
      };
    }
    const p = this.pending;
    if (this.buf.length < p.dataLength + p.payloadLength) return null;
    let data = p.data;
    if (p.dataLength > 0) data = { ...data, ...parseJsonObject(this.buf.subarray(0, p.dataLength), 'data') };
    const ev: WyomingEvent = { type: p.type, data };
    if (p.payloadLength > 0) ev.payload = Buffer.from(this.buf.subarray(p.dataLength, p.dataLength + p.payloadLength));
    this.buf = this.buf.subarray(p.dataLength + p.payloadLength);
    if (this.buf.length === 0) this.buf = Buffer.alloc(0); // let go of the big buffer behind the view
    this.pending = null;
    return ev;
  }
}

/** One event as bytes: the header line, then the data as its own JSON block, then the payload. */
export function encodeEvent(ev: WyomingEvent): Buffer {
  const header: Record<string, unknown> = { type: ev.type, version: WYOMING_VERSION };
  const parts: Buffer[] = [];
  let data: Buffer | undefined;
  if (Object.keys(ev.data).length > 0) {
    data = Buffer.from(JSON.stringify(ev.data), 'utf8');
    header.data_length = data.length;
  }
  if (ev.payload && ev.payload.length > 0) header.payload_length = ev.payload.length;
  parts.push(Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'));
  if (data) parts.push(data);
  if (ev.payload && ev.payload.length > 0) parts.push(ev.payload);
  return Buffer.concat(parts);
}
