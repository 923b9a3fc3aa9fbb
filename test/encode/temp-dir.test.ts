// stream:false output files live in a private per-process folder (0700, under TMPDIR), each is
// removed when its request ends (done, failed, destroyed), the folder at close() and at exit,
// and the folders of dead gateways at the next start.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createEncoderFactory } from '../../audio/encode/index.js';
import { removeStaleTempFiles } from '../../audio/encode/stale-files.js';
import { REPO_ROOT } from '../../models/paths.js';
import { collect, feed, sineSweep, waitFor } from './helpers.js';

const base = mkdtempSync(join(tmpdir(), 'enc-private-'));
after(() => rmSync(base, { recursive: true, force: true }));
const second = sineSweep(24000, 300, 600);

test('whole-file outputs go to a private folder, removed per request and at close()', { timeout: 30_000 }, async () => {
  const factory = createEncoderFactory({ poolSize: 0, tmpDir: base });
  const dir = factory.tempDir;
  assert.equal(join(dir, '..'), base);
  assert.match(dir, new RegExp(`kokoro-enc-${process.pid}-[^/]+$`));
  assert.equal(statSync(dir).mode & 0o777, 0o700, 'only this user can list or open it');

  // Success: the file is gone once the request has its bytes.
  const ok = await factory.create('mp3', { streaming: false });
  const bytes = collect(ok);
  await feed(ok, second);
  assert.ok((await bytes).length > 1000);
  assert.deepEqual(readdirSync(dir), []);

  // Failure / abort: destroy() kills ffmpeg and removes its file.
  const aborted = await factory.create('flac', { streaming: false });
  await aborted.write(second);
  aborted.destroy();
  await waitFor('the aborted request file to be removed', () => readdirSync(dir).length === 0);

  // A folder that vanished (a temp cleaner) is made again, private, under a new name.
  rmSync(dir, { recursive: true });
  const again = factory.tempDir;
  assert.notEqual(again, dir);
  assert.equal(statSync(again).mode & 0o777, 0o700);

  await factory.close();
  assert.ok(!existsSync(again), 'close() removes the folder');
});

test('the private folder is removed when the process exits', { timeout: 30_000 }, () => {
  const script = `
    const { createEncoderFactory } = await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist/audio/encode/index.js')).href)});
    const f = createEncoderFactory({ poolSize: 0, tmpDir: ${JSON.stringify(base)} });
    const e = await f.create('mp3', { streaming: false });
    console.log(f.tempDir);
    e.destroy();
    process.exit(3);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 3, r.stderr);
  const dir = r.stdout.trim();
  assert.match(dir, /kokoro-enc-\d+-/);
  assert.ok(!existsSync(dir), `${dir} was removed at exit`);
});

test('folders and files of dead gateways are removed at start; live ones kept', () => {
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const deadDir = join(base, `kokoro-enc-${dead}-abc`);
  mkdirSync(deadDir);
  writeFileSync(join(deadDir, 'x.mp3'), 'x');
  writeFileSync(join(base, `kokoro-enc-${dead}-old.mp3`), 'x');
  const liveDir = join(base, `kokoro-enc-${process.pid}-live`);
  mkdirSync(liveDir);
  assert.equal(removeStaleTempFiles(base), 2);
  assert.ok(!existsSync(deadDir));
  assert.ok(existsSync(liveDir));
});
