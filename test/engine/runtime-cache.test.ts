// The ONNX Runtime 1.32 copy in the cache is checked before every load: private folders
// (0700, refused when group/others can write), every file re-hashed against its marker, the
// library against the manifest. A tampered copy is rebuilt; a shared-writable folder refused.
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { modelFiles, devModelsDir } from '../../models/paths.js';
import { prepareUpgradedPackage, sha256File, verifyRuntimeCopy } from '../../engine/runtime/ort.js';
import { manifestEntry, RUNTIME_LIBRARY_FILE } from '../../models/manifest.js';

const lib = modelFiles(devModelsDir()).runtimeLibrary;
const work = mkdtempSync(join(tmpdir(), 'runtime-cache-'));
after(() => rmSync(work, { recursive: true, force: true }));
const skip = !existsSync(lib) || process.platform !== 'linux' || process.arch !== 'x64' ? 'no ONNX Runtime 1.32 library here' : false;
const native = `bin/napi-v6/${process.platform}/${process.arch}`;

test('the copy is built in private folders, and a tampered file makes it rebuild', { skip }, () => {
  const cache = join(work, 'root', 'runtime');
  const logs: string[] = [];
  const entry = prepareUpgradedPackage(lib, cache, { log: (m) => logs.push(m) });
  const copy = join(entry, '..', '..');
  assert.equal(statSync(cache).mode & 0o777, 0o700, 'the runtime folder is 0700');
  assert.equal(statSync(join(work, 'root')).mode & 0o777, 0o700, 'the cache root it created is 0700');
  assert.equal(statSync(copy).mode & 0o777, 0o700, 'the copy is 0700');
  const want = manifestEntry(RUNTIME_LIBRARY_FILE)!.sha256;
  assert.equal(verifyRuntimeCopy(copy, want), null);
  const marker = JSON.parse(readFileSync(join(copy, 'complete'), 'utf8')) as { files: Record<string, string> };
  const libInCopy = join(entry, native, 'libonnxruntime.so.1');
  assert.equal(marker.files[`node_modules/onnxruntime-node/${native}/libonnxruntime.so.1`], want);
  assert.equal(sha256File(libInCopy), want);
  assert.ok(Object.keys(marker.files).some((f) => f.endsWith('onnxruntime_binding.node')));
  assert.ok(!Object.keys(marker.files).some((f) => f.includes('/darwin/') || f.includes('/win32/')), 'other platforms are not copied');

  // Tamper: a changed JS file, then the library itself, then an extra file.
  const jsFile = join(entry, 'package.json');
  appendFileSync(jsFile, '\n');
  assert.match(String(verifyRuntimeCopy(copy, want)), /package\.json does not match/);
  prepareUpgradedPackage(lib, cache, { log: (m) => logs.push(m) });
  assert.equal(verifyRuntimeCopy(copy, want), null, 'rebuilt');
  assert.match(logs.at(-1)!, /fails its check \(node_modules\/onnxruntime-node\/package\.json does not match its SHA-256\): rebuilding/);

  chmodSync(libInCopy, 0o600);
  appendFileSync(libInCopy, Buffer.from([0]));
  prepareUpgradedPackage(lib, cache, { log: (m) => logs.push(m) });
  assert.match(logs.at(-1)!, /libonnxruntime\.so\.1 does not match/);
  assert.equal(sha256File(libInCopy), want);

  writeFileSync(join(entry, native, 'libonnxruntime_providers_shared.so'), 'x');
  assert.match(String(verifyRuntimeCopy(copy, want)), /not in its file list/);
  prepareUpgradedPackage(lib, cache, { log: (m) => logs.push(m) });
  assert.equal(verifyRuntimeCopy(copy, want), null);
  assert.ok(!existsSync(join(entry, native, 'libonnxruntime_providers_shared.so')));

  // An old-style marker (a bare path) is not trusted either.
  writeFileSync(join(copy, 'complete'), `${lib}\n`);
  assert.notEqual(verifyRuntimeCopy(copy, want), null);
});

test('a cache folder writable by group or others is refused', { skip }, () => {
  const root = join(work, 'shared');
  mkdirSync(join(root, 'runtime'), { recursive: true });
  chmodSync(root, 0o777);
  assert.throws(() => prepareUpgradedPackage(lib, join(root, 'runtime')), /shared is writable by group or others \(mode 777\)/);
  chmodSync(root, 0o700);
  chmodSync(join(root, 'runtime'), 0o775);
  assert.throws(() => prepareUpgradedPackage(lib, join(root, 'runtime')), /runtime is writable by group or others \(mode 775\)/);
});

test('a library that is not the manifest one is refused', { skip }, () => {
  const fake = join(work, 'fake.so');
  writeFileSync(fake, 'not a library');
  assert.throws(() => prepareUpgradedPackage(fake, join(work, 'other', 'runtime')), /does not match the manifest's SHA-256/);
});
