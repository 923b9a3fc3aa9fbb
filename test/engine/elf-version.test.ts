import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { elfHash, listVersionNeeds, retargetVersionNeed } from '../../engine/runtime/elf-version.js';

const require = createRequire(import.meta.url);
const bindingPath = join(dirname(require.resolve('onnxruntime-node')), `../bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`);

test('our ELF hash matches every hash the linker wrote into the real binding', { skip: process.platform !== 'linux' && 'ELF only' }, () => {
  const needs = listVersionNeeds(readFileSync(bindingPath));
  assert.ok(needs.length >= 3);
  for (const n of needs) assert.equal(elfHash(n.version), n.hash, n.version);
  assert.ok(needs.some((n) => n.file === 'libonnxruntime.so.1' && n.version === 'VERS_1.30.0'));
});

test('retargeting rewrites the name and its hash, in a copy', { skip: process.platform !== 'linux' && 'ELF only' }, () => {
  const original = readFileSync(bindingPath);
  const patched = retargetVersionNeed(original, 'libonnxruntime.so.1', 'VERS_1.30.0', 'VERS_1.32.0');
  const ort = listVersionNeeds(patched).filter((n) => n.file === 'libonnxruntime.so.1');
  assert.deepEqual(ort, [{ file: 'libonnxruntime.so.1', version: 'VERS_1.32.0', hash: elfHash('VERS_1.32.0') }]);
  assert.ok(listVersionNeeds(original).some((n) => n.version === 'VERS_1.30.0'), 'the original buffer is untouched');
  // Everything else is byte-identical.
  let diff = 0;
  for (let i = 0; i < original.length; i++) if (original[i] !== patched[i]) diff++;
  assert.ok(diff > 0 && diff <= 8, `changed ${diff} bytes`);
  assert.throws(() => retargetVersionNeed(original, 'libonnxruntime.so.1', 'VERS_9.99.0', 'VERS_1.32.0'), /no requirement/);
  assert.throws(() => retargetVersionNeed(original, 'libonnxruntime.so.1', 'VERS_1.30.0', 'VERS_1.3'), /same length/);
});
