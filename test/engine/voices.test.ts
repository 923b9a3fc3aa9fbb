import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { listVoiceNames, parseVoiceSpec, readVoiceSpec, STYLE_DIM, VoiceError, VoiceStore } from '../../engine/voices.js';
import { modelsDir } from '../support/paths.js';

const voicesDir = join(modelsDir, 'voices');

test('every shipped voice pack is listed and loads', () => {
  const names = listVoiceNames(voicesDir);
  assert.equal(names.length, 54);
  const store = new VoiceStore(voicesDir);
  for (const n of names) assert.equal(store.pack(n).length, 510 * STYLE_DIM);
});

test('mix specs parse with normalized weights', () => {
  const known = new Set(['af_heart', 'am_adam', 'bf_emma']);
  assert.deepEqual(parseVoiceSpec('af_heart', known), [{ name: 'af_heart', weight: 1 }]);
  assert.deepEqual(parseVoiceSpec('af_heart+am_adam', known), [{ name: 'af_heart', weight: 0.5 }, { name: 'am_adam', weight: 0.5 }]);
  assert.deepEqual(parseVoiceSpec('af_heart(3)+bf_emma(1)', known), [{ name: 'af_heart', weight: 0.75 }, { name: 'bf_emma', weight: 0.25 }]);
});

test('hostile or unknown voice names are refused before any file is touched', () => {
  const known = new Set(listVoiceNames(voicesDir));
  for (const bad of ['../../etc/passwd', '/etc/passwd', 'af_heart\0', 'af_heart/../x', 'AF_HEART', 'af_nobody', '', 'af_heart(0)', 'af_heart(-1)', 'af_heart+'] as const) {
    assert.throws(() => parseVoiceSpec(bad, known), VoiceError, `should refuse ${JSON.stringify(bad)}`);
  }
  const store = new VoiceStore(voicesDir);
  assert.throws(() => store.pack('../config'), VoiceError);
});

test('a mix is the weighted sum of its packs, and the style row follows the token count', () => {
  const store = new VoiceStore(voicesDir);
  const a = store.pack('af_heart');
  const b = store.pack('am_adam');
  const mix = store.table('af_heart(3)+am_adam(1)');
  for (const i of [0, 1000, 77_777, mix.length - 1]) assert.ok(Math.abs(mix[i]! - (0.75 * a[i]! + 0.25 * b[i]!)) < 1e-6);
  const row = store.style('af_heart', 42);
  assert.deepEqual([...row], [...a.subarray(42 * STYLE_DIM, 43 * STYLE_DIM)]);
  assert.deepEqual([...store.style('af_heart', 5000)], [...a.subarray(509 * STYLE_DIM, 510 * STYLE_DIM)], 'capped at row 509');
});

test('readVoiceSpec renames in the same pass and keeps the weights as written', () => {
  const known = new Set(['af_heart', 'am_adam']);
  const alias = (n: string) => (n === 'coral' ? 'af_heart' : n);
  const r = readVoiceSpec(' Coral(3) + AM_ADAM ', known, alias);
  assert.equal(r.spec, 'af_heart(3)+am_adam');
  assert.deepEqual(r.parts, [{ name: 'af_heart', weight: 0.75 }, { name: 'am_adam', weight: 0.25 }]);
  assert.throws(() => readVoiceSpec('coral(x)', known, alias), /invalid voice 'af_heart\(x\)'/);
  assert.throws(() => readVoiceSpec('  ', known, alias), /non-empty/);
  // Without a renaming it is parseVoiceSpec: names are exact.
  assert.throws(() => readVoiceSpec('AF_HEART', known), /invalid voice/);
});
