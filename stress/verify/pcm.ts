// PCM helpers for verification: s16le views, WAV parsing, loudness envelopes, correlation.

export const RATE = 24000;

export function s16(buf: Buffer): Int16Array {
  const even = buf.length - (buf.length % 2);
  const out = new Int16Array(even / 2);
  Buffer.from(out.buffer).set(buf.subarray(0, even));
  return out;
}

export interface WavParse {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Bytes declared by the data chunk header (0 or 0xFFFFFFFF for an open-ended stream). */
  declaredDataBytes: number;
  data: Buffer;
}

/** Parses a RIFF/WAVE file; throws when the header is malformed. */
export function parseWav(buf: Buffer): WavParse {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let pos = 12;
  let fmt: { sampleRate: number; channels: number; bitsPerSample: number } | undefined;
  while (pos + 8 <= buf.length) {
    const id = buf.toString('ascii', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (body + 16 > buf.length) throw new Error('wav fmt chunk cut short');
      fmt = {
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        bitsPerSample: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error('wav data before fmt');
      const open = size === 0 || size === 0xffffffff;
      const end = open ? buf.length : body + size;
      if (end > buf.length) throw new Error(`wav data declares ${size} bytes, only ${buf.length - body} present`);
      return { ...fmt, declaredDataBytes: size, data: buf.subarray(body, end) };
    }
    pos = body + size + (size % 2);
  }
  throw new Error('wav has no data chunk');
}

/** RMS loudness per frame (10 ms at 24 kHz), the shape that survives lossy codecs. */
export function envelope(samples: Int16Array, frame = 240): Float64Array {
  const n = Math.floor(samples.length / frame);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = i * frame; j < (i + 1) * frame; j++) sum += samples[j]! * samples[j]!;
    out[i] = Math.sqrt(sum / frame);
  }
  return out;
}

/** Pearson correlation of a and b shifted by lag (b[i + lag] against a[i]), over the overlap. */
function pearsonAt(a: ArrayLike<number>, b: ArrayLike<number>, lag: number): number {
  const start = Math.max(0, -lag);
  const end = Math.min(a.length, b.length - lag);
  const n = end - start;
  if (n < 8) return 0;
  let sa = 0, sb = 0;
  for (let i = start; i < end; i++) { sa += a[i]!; sb += b[i + lag]!; }
  const ma = sa / n, mb = sb / n;
  let num = 0, da = 0, db = 0;
  for (let i = start; i < end; i++) {
    const x = a[i]! - ma, y = b[i + lag]! - mb;
    num += x * y; da += x * x; db += y * y;
  }
  if (da === 0 || db === 0) return 0;
  // Penalise a short overlap so a fragment does not match a long reference too well.
  const cover = n / Math.max(a.length, b.length);
  return (num / Math.sqrt(da * db)) * cover;
}

/** Best correlation over lags in [-maxLag, maxLag] (codec delay shifts the audio a little). */
export function bestCorrelation(a: ArrayLike<number>, b: ArrayLike<number>, maxLag = 20): number {
  let best = -1;
  for (let lag = -maxLag; lag <= maxLag; lag++) best = Math.max(best, pearsonAt(a, b, lag));
  return best;
}

/** Sample-level correlation at lag 0 (for pcm/wav, where nothing should shift). */
export function sampleCorrelation(a: Int16Array, b: Int16Array): number {
  return pearsonAt(a, b, 0);
}
