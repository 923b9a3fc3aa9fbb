// Which ffmpeg runs, and start-up clean-up of temp files left by a dead gateway.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveFfmpeg } from '../../audio/encode/index.js';
import { removeStaleTempFiles } from '../../audio/encode/stale-files.js';

test('resolveFfmpeg names a binary that runs, and where it came from', () => {
  const ff = resolveFfmpeg();
  const expected = process.env.FFMPEG_PATH ? 'env' : ff.path.includes('@ffmpeg-installer') ? 'bundled' : 'system';
  assert.equal(ff.source, expected);
  if (process.env.FFMPEG_PATH) assert.equal(ff.path, process.env.FFMPEG_PATH);
  const r = spawnSync(ff.path, ['-hide_banner', '-version'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.ok(r.stdout.includes(ff.version), `version ${ff.version} not in: ${r.stdout.split('\n')[0]}`);
});

test('temp files of dead gateways are removed; live ones and others are kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'enc-stale-'));
  try {
    // A pid that is not running: spawn a process, let it exit, reuse its pid.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const files = [`kokoro-enc-${dead}-abc.mp3`, `kokoro-enc-${process.pid}-def.mp3`, 'other.mp3'];
    for (const f of files) writeFileSync(join(dir, f), 'x');
    assert.equal(removeStaleTempFiles(dir), 1);
    assert.deepEqual(files.map((f) => existsSync(join(dir, f))), [false, true, true]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
