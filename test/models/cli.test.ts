// The models:fetch CLI: --check on an empty dir lists every file as missing and exits 1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST } from '../../models/manifest.js';

const cli = resolve(dirname(fileURLToPath(import.meta.url)), '../../models/cli.js');
let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'models-cli-test-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: join(work, 'cache') };
    delete env.KOKORO_MODELS_MIRROR;
    delete env.KOKORO_MODELS_DIR;
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`cli timed out; stderr: ${stderr}`));
    }, 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

test('--check on an empty dir: every file missing, exit 1, nothing written', async () => {
  const dir = join(work, 'empty');
  mkdirSync(dir);
  const r = await runCli(['--check', '--dir', dir]);
  assert.equal(r.code, 1, r.stderr);
  const rows = r.stdout.trim().split('\n').slice(1);
  assert.equal(rows.length, MANIFEST.length);
  assert.match(r.stdout, /^kokoro-v1\.0\.int8\.onnx\s+MISSING\s+missing$/m);
  assert.match(r.stdout, /^runtime\/libonnxruntime\.so\.1\.32\.0\s+MISSING \(optional\)\s+missing$/m);
  assert.match(r.stderr, /required file\(s\) unavailable/);
  assert.deepEqual(readdirSync(dir), []);
});

test('a bad option exits 2 with usage', async () => {
  const r = await runCli(['--nope']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /usage: npm run models:fetch/);
});
