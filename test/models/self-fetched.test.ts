// A models dir the project fetched itself, as on a user's machine (no ../shared beside the
// clone): unlike CI's read-only mirror, it holds the fetcher's own stamp file. The mirror is
// served from loopback as an operator mirror (KOKORO_MODELS_MIRROR), the only source, into a
// fresh temp dir; then the same "manifest matches every file" check as the mirror's runs on it,
// and a second ensureModels must trust the stamps: no hashing, no request, no write.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STAMP_FILE_NAME } from '../../models/bookkeeping.js';
import { checkAndFetchModels, ensureModels } from '../../models/fetch.js';
import type { FetchProgress } from '../../models/fetch.js';
import { MANIFEST } from '../../models/manifest.js';
import type { ManifestEntry } from '../../models/manifest.js';
import { startFileServer } from '../support/http-fixture.js';
import type { FileRoute, FileServer } from '../support/http-fixture.js';
import { modelsDir as mirror } from '../support/paths.js';
import { assertManifestMatchesDir, bookkeepingFiles, listFiles } from './manifest-check.js';
import type { ListedFile } from './manifest-check.js';

// The real names, sizes and hashes with no sources of their own: the operator mirror is the
// only place a file can come from, so nothing here reaches past loopback.
const MIRROR_ONLY: ManifestEntry[] = MANIFEST.map((e) => ({ ...e, sources: [] }));

let work: string;
let dir: string;
let cacheDir: string;
let server: FileServer | undefined;
/** The fetched dir's full listing, stamp included, as the first test left it. */
let fetched: Map<string, ListedFile> | undefined;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'self-fetched-test-'));
  dir = join(work, 'models');
  cacheDir = join(work, 'cache');
  const routes: Record<string, FileRoute> = {};
  for (const e of MANIFEST) routes[`/${e.name}`] = { body: readFileSync(join(mirror, e.name)) };
  server = await startFileServer(routes);
});

after(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

test('a models dir fetched from an operator mirror matches the manifest, stamp and all', async () => {
  const s = server!;
  const reports = await checkAndFetchModels({
    dir,
    cacheDir,
    manifest: MIRROR_ONLY,
    mirrorUrls: [s.url],
    idleTimeoutMs: 30_000,
  });
  for (const r of reports) {
    assert.equal(r.status, 'fetched', `${r.name}: ${r.attempts.map((a) => a.reason).join('; ')}`);
    assert.equal(r.source, `url ${s.url}/${r.name}`, r.name);
  }
  assert.equal(s.requests.length, MANIFEST.length, 'one request per file');

  // A writable dir keeps its stamps inside (the case CI's read-only mirror never shows);
  // no lock or .part is left behind.
  assert.deepEqual(bookkeepingFiles(listFiles(dir)), [STAMP_FILE_NAME]);

  fetched = await assertManifestMatchesDir(dir);
});

test('a second ensureModels on the self-fetched dir hashes nothing and writes nothing', async () => {
  assert.ok(fetched, 'the fetch test ran first');
  const s = server!;
  const requestsBefore = s.requests.length;
  const events: FetchProgress[] = [];
  const paths = await ensureModels({
    dir,
    cacheDir,
    manifest: MIRROR_ONLY,
    mirrorUrls: [s.url],
    onProgress: (p) => events.push(p),
  });
  assert.deepEqual(events, [], 'no hashing, download or extraction');
  assert.equal(s.requests.length, requestsBefore, 'no request to the mirror');
  assert.deepEqual(Object.keys(paths).sort(), MANIFEST.map((e) => e.name).sort());
  for (const [name, path] of Object.entries(paths)) assert.equal(path, join(dir, name));
  // Same files, sizes, mtimes and inodes, the stamp file included: it was not rewritten.
  assert.deepEqual([...listFiles(dir).entries()].sort(), [...fetched.entries()].sort(), 'dir untouched');
});
