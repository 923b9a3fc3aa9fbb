// Structural checks that find truncation ffmpeg's decoders pass over in silence: an Ogg
// stream without its last (EOS) page, an MP3 whose last frame is cut or whose Xing frame
// counts more frames than there are, a FLAC with fewer samples than STREAMINFO declares.
// Each returns a reason, or undefined when the bytes look whole.

/** Walks every Ogg page; the last must be complete and carry the end-of-stream flag. */
export function oggProblem(data: Buffer): string | undefined {
  let pos = 0;
  let lastFlags = -1;
  while (pos < data.length) {
    if (data.length - pos < 27 || data.toString('latin1', pos, pos + 4) !== 'OggS') {
      return `Ogg page ${pos} is cut or corrupt`;
    }
    const segments = data[pos + 26];
    if (data.length - pos < 27 + segments) return 'Ogg page header is cut';
    let body = 0;
    for (let i = 0; i < segments; i++) body += data[pos + 27 + i];
    const end = pos + 27 + segments + body;
    if (end > data.length) return 'last Ogg page is cut';
    lastFlags = data[pos + 5];
    pos = end;
  }
  if (lastFlags < 0) return 'no Ogg pages';
  return lastFlags & 0x04 ? undefined : 'Ogg stream has no end-of-stream page';
}

const MP3_BITRATES_V1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MP3_BITRATES_V2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const MP3_RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

/** Bytes in the Layer III frame starting at pos, or 0 if no valid header is there. */
function mp3FrameLength(data: Buffer, pos: number): number {
  if (pos + 4 > data.length || data[pos] !== 0xff || (data[pos + 1] & 0xe0) !== 0xe0) return 0;
  const version = (data[pos + 1] >> 3) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
  const layer = (data[pos + 1] >> 1) & 3; // 1: Layer III
  const bitrateIndex = data[pos + 2] >> 4;
  const rateIndex = (data[pos + 2] >> 2) & 3;
  if (version === 1 || layer !== 1 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return 0;
  const kbps = (version === 3 ? MP3_BITRATES_V1 : MP3_BITRATES_V2)[bitrateIndex];
  const rate = MP3_RATES[version][rateIndex];
  const padding = (data[pos + 2] >> 1) & 1;
  return Math.floor(((version === 3 ? 144 : 72) * kbps * 1000) / rate) + padding;
}

/** Walks MP3 frames (after any ID3v2 tag); the last must be whole, and match a Xing count. */
export function mp3Problem(data: Buffer): string | undefined {
  let pos = 0;
  if (data.toString('latin1', 0, 3) === 'ID3' && data.length >= 10) {
    pos = 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]);
  }
  const first = pos;
  let frames = 0;
  while (pos < data.length) {
    if (data.toString('latin1', pos, pos + 3) === 'TAG' && data.length - pos === 128) break; // ID3v1
    const len = mp3FrameLength(data, pos);
    if (len === 0) return `no MP3 frame at byte ${pos}`;
    if (pos + len > data.length) return 'last MP3 frame is cut';
    pos += len;
    frames++;
  }
  if (frames === 0) return 'no MP3 frames';
  // A Xing/Info frame (written only to seekable files) counts the audio frames after it.
  const head = data.subarray(first, first + mp3FrameLength(data, first));
  const tagAt = Math.max(head.indexOf('Xing', 0, 'latin1'), head.indexOf('Info', 0, 'latin1'));
  if (tagAt >= 0 && tagAt + 12 <= head.length && head.readUInt32BE(tagAt + 4) & 1) {
    const declared = head.readUInt32BE(tagAt + 8);
    if (declared !== frames - 1) return `Xing frame declares ${declared} frames, found ${frames - 1}`;
  }
  return undefined;
}

/** Samples STREAMINFO declares (0: unknown, as in a stream written to a pipe). */
export function flacDeclaredSamples(data: Buffer): number | undefined {
  if (data.length < 42 || data.toString('latin1', 0, 4) !== 'fLaC') return undefined;
  // STREAMINFO starts at byte 8; total samples are the low 36 bits of its bytes 10..17.
  const word = data.readBigUInt64BE(18);
  return Number(word & 0xfffffffffn);
}
