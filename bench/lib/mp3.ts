// Audio duration of an MP3 stream from its frame headers (no decoding): MPEG-1/2/2.5 layer III,
// an ID3v2 tag at the start skipped, a Xing/Info frame not counted, a trailing partial frame not
// counted. Encoder delay and padding (LAME: ~1100 samples) are counted as audio: durations come
// out up to ~50 ms long at 24 kHz.

const BITRATES_V1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const BITRATES_V2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

export interface Mp3Info {
  frames: number;
  samples: number;
  sampleRate: number;
  seconds: number;
  /** Bytes skipped while looking for a frame header (0 for a clean stream). */
  skipped: number;
}

export function mp3Duration(buf: Buffer): Mp3Info {
  let i = 0;
  if (buf.length >= 10 && buf.toString('latin1', 0, 3) === 'ID3') {
    const size = ((buf[6]! & 0x7f) << 21) | ((buf[7]! & 0x7f) << 14) | ((buf[8]! & 0x7f) << 7) | (buf[9]! & 0x7f);
    i = 10 + size + (buf[5]! & 0x10 ? 10 : 0);
  }
  let frames = 0;
  let samples = 0;
  let sampleRate = 0;
  let skipped = 0;
  let first = true;
  while (i + 4 <= buf.length) {
    const b1 = buf[i + 1]!;
    const b2 = buf[i + 2]!;
    const version = (b1 >> 3) & 3; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    const layer = (b1 >> 1) & 3; // 1 = layer III
    const brIdx = b2 >> 4;
    const srIdx = (b2 >> 2) & 3;
    if (buf[i] !== 0xff || (b1 & 0xe0) !== 0xe0 || version === 1 || layer !== 1 || brIdx === 0 || brIdx === 15 || srIdx === 3) {
      i++;
      skipped++;
      continue;
    }
    const v1 = version === 3;
    const rate = RATES[version]![srIdx]!;
    const kbps = (v1 ? BITRATES_V1 : BITRATES_V2)[brIdx]!;
    const len = Math.floor(((v1 ? 144 : 72) * kbps * 1000) / rate) + ((b2 >> 1) & 1);
    if (i + len > buf.length) break;
    const perFrame = v1 ? 1152 : 576;
    // The first frame may be a Xing/Info header frame: no audio.
    const tag = first ? buf.subarray(i + 4, Math.min(i + len, i + 48)).toString('latin1') : '';
    first = false;
    if (!tag.includes('Xing') && !tag.includes('Info')) {
      frames++;
      samples += perFrame;
      sampleRate = rate;
    }
    i += len;
  }
  return { frames, samples, sampleRate, seconds: sampleRate ? samples / sampleRate : 0, skipped };
}
