// The durations model: derived from the verified int8 model by a protobuf edit, byte-identical
// run to run and equal to the recorded SHA-256; onnxruntime reads the new output, whose sum x 600
// is the audio length, and the audio is the original model's, sample for sample. Another
// export (the tiny test model) is refused with a reason, and the file in the cache is checked.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import ort from 'onnxruntime-node';
import { DURATIONS_MODEL, DURATIONS_OUTPUT, SAMPLES_PER_DURATION, deriveDurationsModel, durationsModelPath, ensureDurationsModel } from '../../models/durations.js';
import { MODEL_FILE } from '../../models/manifest.js';
import { devModelsDir } from '../../models/paths.js';
import { tinyKokoroModelBytes } from '../support/tiny-model.js';

const modelsDir = devModelsDir();
const modelPath = join(modelsDir, MODEL_FILE);
let cache: string;
before(() => {
  cache = mkdtempSync(join(tmpdir(), 'durations-test-'));
});
after(() => rmSync(cache, { recursive: true, force: true }));

test('another export has no durations tensor: refused with the reason', () => {
  assert.throws(() => deriveDurationsModel(tinyKokoroModelBytes()), /no tensor \/encoder\/Clip_output_0/);
});

test('derivation from the real model: byte-identical twice, the recorded size and SHA-256; a derived model is not derived again', () => {
  const src = readFileSync(modelPath);
  const a = deriveDurationsModel(src);
  const b = deriveDurationsModel(src);
  assert.ok(a.equals(b), 'two runs, the same bytes');
  assert.equal(a.length, DURATIONS_MODEL.bytes);
  assert.equal(createHash('sha256').update(a).digest('hex'), DURATIONS_MODEL.sha256);
  assert.throws(() => deriveDurationsModel(a), /already has an output named durations/);
});

test('onnxruntime: the durations output, sum x 600 == audio length at three speeds, audio identical to the original', { timeout: 120_000 }, async () => {
  const path = await ensureDurationsModel({ modelPath, modelsDir, cacheDir: cache });
  assert.equal(path, durationsModelPath(cache));
  const derived = await ort.InferenceSession.create(path!, { intraOpNumThreads: 1 });
  const original = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
  assert.deepEqual(derived.outputNames, ['audio', DURATIONS_OUTPUT]);
  const voice = new Float32Array(readFileSync(join(modelsDir, 'voices/af_heart.bin')).buffer.slice(0));
  const tokens = [0, 50, 156, 86, 54, 16, 102, 83, 156, 51, 158, 4, 0]; // pads at both ends
  for (const speed of [0.6, 1, 1.7]) {
    const feeds = {
      tokens: new ort.Tensor('int64', BigInt64Array.from(tokens.map(BigInt)), [1, tokens.length]),
      style: new ort.Tensor('float32', voice.slice(tokens.length * 256, tokens.length * 256 + 256), [1, 256]),
      speed: new ort.Tensor('float32', Float32Array.from([speed]), [1]),
    };
    const d = await derived.run(feeds);
    const o = await original.run(feeds);
    const durations = d[DURATIONS_OUTPUT]!.data as Float32Array;
    const audio = d.audio!.data as Float32Array;
    assert.equal(durations.length, tokens.length);
    assert.ok(durations.every((x) => Number.isInteger(x) && x >= 1), `whole, >= 1: ${[...durations]}`);
    const sum = durations.reduce((s, x) => s + x, 0);
    assert.equal(audio.length, sum * SAMPLES_PER_DURATION, `speed ${speed}`);
    assert.deepEqual(audio, o.audio!.data as Float32Array, `speed ${speed}: the same samples as the original model`);
  }
  await derived.release();
  await original.release();
});

test('ensureDurationsModel: a damaged file is derived again; a model file that is not the manifest\'s gives null and says why', async () => {
  const path = durationsModelPath(cache);
  writeFileSync(path, 'damaged');
  const lines: string[] = [];
  assert.equal(await ensureDurationsModel({ modelPath, modelsDir, cacheDir: cache, log: (_l, m) => lines.push(m) }), path);
  assert.equal(readFileSync(path).length, DURATIONS_MODEL.bytes);
  assert.ok(lines.some((l) => /does not match its recorded SHA-256/.test(l)), lines.join('\n'));
  const other = join(cache, 'other.onnx');
  writeFileSync(other, tinyKokoroModelBytes());
  const why: string[] = [];
  assert.equal(await ensureDurationsModel({ modelPath: other, modelsDir, cacheDir: cache, log: (_l, m) => why.push(m) }), null);
  assert.match(why.join('\n'), /word timestamps unavailable: .*other\.onnx is not the manifest's/);
});
