import { SAMPLE_RATE } from '../../protocol/constants.js';
// The 44-byte RIFF/WAVE header for s16le mono 24 kHz.

export const WAV_HEADER_BYTES = 44;
/** Size fields of a stream whose length is not known yet (players read to the end). */
export const OPEN_ENDED_SIZE = 0xffffffff;

/** A header for `dataBytes` of samples, or an open-ended one when dataBytes is undefined. */
export function wavHeader(dataBytes?: number): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  const channels = 1;
  const bytesPerSample = 2;
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(dataBytes === undefined ? OPEN_ENDED_SIZE : 36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(SAMPLE_RATE, 24);
  h.writeUInt32LE(SAMPLE_RATE * channels * bytesPerSample, 28); // byte rate
  h.writeUInt16LE(channels * bytesPerSample, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes === undefined ? OPEN_ENDED_SIZE : dataBytes, 40);
  return h;
}
