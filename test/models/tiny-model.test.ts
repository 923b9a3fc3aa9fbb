// The generated tiny model loads in onnxruntime-node and behaves as documented.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { tinyModelSample, writeTinyKokoroModel } from '../support/tiny-model.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tiny-model-test-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const STYLE = Float32Array.from({ length: 256 }, (_, i) => (i % 7) * 0.01);

async function synth(session: ort.InferenceSession, names: { tokens: string; style: string; speed: string; audio: string }, tokens: number[], speed = 1, style = STYLE) {
  const out = await session.run({
    [names.tokens]: new ort.Tensor('int64', BigInt64Array.from(tokens.map(BigInt)), [1, tokens.length]),
    [names.style]: new ort.Tensor('float32', style, [1, 256]),
    [names.speed]: new ort.Tensor('float32', Float32Array.from([speed]), [1]),
  });
  const audio = out[names.audio]!;
  assert.equal(audio.type, 'float32');
  assert.equal(audio.dims.length, 1);
  return audio.data as Float32Array;
}

test('default model: Kokoro names, 600 samples per token, the documented values', async () => {
  const path = join(dir, 'kokoro-tiny.onnx');
  writeTinyKokoroModel(path);
  const session = await ort.InferenceSession.create(path);
  try {
    assert.deepEqual(session.inputNames, ['tokens', 'style', 'speed']);
    assert.deepEqual(session.outputNames, ['audio']);
    const names = { tokens: 'tokens', style: 'style', speed: 'speed', audio: 'audio' };
    const tokens = [0, 50, 83, 156, 0];
    const audio = await synth(session, names, tokens);
    assert.equal(audio.length, tokens.length * 600);
    for (const [t, j] of [[0, 0], [1, 17], [2, 599], [4, 300]] as const) {
      assert.ok(Math.abs(audio[t * 600 + j]! - tinyModelSample(tokens, t, j, STYLE, 1)) < 1e-4, `sample ${t},${j}`);
    }
    const peak = audio.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(peak > 0.05 && peak <= 0.1, `not silent, bounded: peak ${peak}`);

    // Different tokens, and the same tokens in another order, give different audio.
    const other = await synth(session, names, [0, 51, 83, 156, 0]);
    const reordered = await synth(session, names, [0, 83, 50, 156, 0]);
    assert.notDeepEqual(Array.from(other), Array.from(audio));
    assert.notDeepEqual(Array.from(reordered), Array.from(audio));
    // Speed and style reach the output too (so voice/speed plumbing can be checked).
    assert.notDeepEqual(Array.from(await synth(session, names, tokens, 1.5)), Array.from(audio));
    assert.notDeepEqual(Array.from(await synth(session, names, tokens, 1, new Float32Array(256))), Array.from(audio));
    // Dynamic length.
    assert.equal((await synth(session, names, [0, 12, 0])).length, 3 * 600);
  } finally {
    await session.release();
  }
});

test('custom names and samplesPerToken', async () => {
  const path = join(dir, 'tiny-named.onnx');
  const names = { tokens: 'input_ids', style: 'style', speed: 'speed', audio: 'waveform' };
  writeTinyKokoroModel(path, { samplesPerToken: 37, names });
  const session = await ort.InferenceSession.create(path);
  try {
    assert.deepEqual(session.inputNames, ['input_ids', 'style', 'speed']);
    assert.deepEqual(session.outputNames, ['waveform']);
    const tokens = [0, 5, 9, 0];
    const audio = await synth(session, names, tokens);
    assert.equal(audio.length, 4 * 37);
    assert.ok(Math.abs(audio[2 * 37 + 36]! - tinyModelSample(tokens, 2, 36, STYLE, 1)) < 1e-4);
  } finally {
    await session.release();
  }
});

test('samplesPerToken must be a positive integer', () => {
  assert.throws(() => writeTinyKokoroModel(join(dir, 'bad.onnx'), { samplesPerToken: 0 }), /positive integer/);
});
