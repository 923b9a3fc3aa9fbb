// wav and pcm are written in JS: check the bytes themselves.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createEncoderFactory } from '../../audio/encode/index.js';
import { contentTypeFor } from '../../audio/encode/index.js';
import { encode, sineSweep } from './helpers.js';

const factory = createEncoderFactory({ poolSize: 0 });
const input = sineSweep(10_001, 300, 900);

function header(bytes: Buffer) {
  return {
    riff: bytes.toString('latin1', 0, 4),
    riffSize: bytes.readUInt32LE(4),
    wave: bytes.toString('latin1', 8, 12),
    format: bytes.readUInt16LE(20),
    channels: bytes.readUInt16LE(22),
    rate: bytes.readUInt32LE(24),
    byteRate: bytes.readUInt32LE(28),
    bits: bytes.readUInt16LE(34),
    dataId: bytes.toString('latin1', 36, 40),
    dataSize: bytes.readUInt32LE(40),
  };
}

describe('wav and pcm', () => {
  test('whole-file wav has the real sizes', async () => {
    const bytes = await encode(await factory.create('wav', { streaming: false }), input);
    assert.equal(bytes.length, 44 + 2 * input.length);
    assert.deepEqual(header(bytes), {
      riff: 'RIFF', riffSize: 36 + 2 * input.length, wave: 'WAVE', format: 1, channels: 1,
      rate: 24000, byteRate: 48000, bits: 16, dataId: 'data', dataSize: 2 * input.length,
    });
    assert.deepEqual(new Int16Array(bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length)), input);
  });

  test('streaming wav sends an open-ended header with the first samples, never before', async () => {
    const encoder = await factory.create('wav', { streaming: true });
    const chunks: Buffer[] = [];
    encoder.output.on('data', (b: Buffer) => chunks.push(b));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(chunks.length, 0, 'no byte before there is audio (the HTTP status waits for the first byte)');
    await encoder.write(input);
    encoder.end();
    await new Promise((r) => encoder.output.once('end', r));
    const all = Buffer.concat(chunks);
    const h = header(all.subarray(0, 44));
    assert.equal(h.riffSize, 0xffffffff);
    assert.equal(h.dataSize, 0xffffffff);
    const rest = all.subarray(44);
    assert.deepEqual(new Int16Array(rest.buffer.slice(rest.byteOffset, rest.byteOffset + rest.length)), input);
  });

  test('pcm is the raw s16le samples', async () => {
    const bytes = await encode(await factory.create('pcm', { streaming: true }), input);
    assert.deepEqual(new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)), input);
  });

  test('content types', () => {
    assert.equal(contentTypeFor('mp3'), 'audio/mpeg');
    assert.equal(contentTypeFor('opus'), 'audio/ogg');
    assert.equal(contentTypeFor('aac'), 'audio/aac');
    assert.equal(contentTypeFor('flac'), 'audio/flac');
    assert.equal(contentTypeFor('wav'), 'audio/wav');
    assert.equal(contentTypeFor('pcm'), 'audio/pcm;rate=24000');
  });
});
