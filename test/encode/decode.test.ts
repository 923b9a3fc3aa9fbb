// decodeToPcm must refuse truncated files, including cuts ffmpeg's decoders pass over
// (an Ogg stream without its last page, an MP3 cut mid-frame).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createEncoderFactory } from '../../audio/encode/index.js';
import { DamagedAudioError, decodeToPcm } from '../../harness/audio/index.js';
import { encode, sineSweep } from './helpers.js';
import { type AudioFormat } from '../../audio/encode/types.js';

const factory = createEncoderFactory({ poolSize: 0 });
after(() => factory.close());
const input = sineSweep(36_000, 200, 2000);

describe('decodeToPcm rejects truncated input', { timeout: 30_000 }, () => {
  for (const [format, streaming] of [
    ['opus', true], ['mp3', true], ['mp3', false], ['aac', true], ['flac', true], ['flac', false], ['wav', false], ['pcm', true],
  ] as [AudioFormat, boolean][]) {
    test(`${format} ${streaming ? 'streaming' : 'whole file'}`, async () => {
      const bytes = await encode(await factory.create(format, { streaming }), input);
      await decodeToPcm(bytes, format); // whole: decodes
      const cut = bytes.subarray(0, bytes.length - (format === 'pcm' ? 1 : 100));
      await assert.rejects(decodeToPcm(cut, format), DamagedAudioError);
    });
  }

  test('opus cut at a page boundary (no end-of-stream page)', async () => {
    const bytes = await encode(await factory.create('opus', { streaming: true }), input);
    const lastPage = bytes.lastIndexOf('OggS');
    await assert.rejects(decodeToPcm(bytes.subarray(0, lastPage), 'opus'), /end-of-stream/);
  });

  test('whole-file mp3 cut at a frame boundary (fewer frames than its Xing frame says)', async () => {
    const bytes = await encode(await factory.create('mp3', { streaming: false }), input);
    const frame = 480; // 160 kbit/s at 24 kHz, no padding in CBR at this rate
    await assert.rejects(decodeToPcm(bytes.subarray(0, bytes.length - frame), 'mp3'), /Xing/);
  });
});
