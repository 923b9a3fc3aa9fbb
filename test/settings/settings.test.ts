import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../models/paths.js';
import { bool, decimal, int, intOrAuto, list, ms, oneOf, readOne, SettingsError, url, type Parser } from '../../settings/reader.js';
import { allSettings, readSettings } from '../../settings/schema.js';
import { settingsTableBlock, TABLE_BEGIN, TABLE_END } from '../../settings/table.js';
import { loadEngineSettings, loadGatewaySettings } from '../../settings/tree.js';

function read<T>(p: Parser<T>, raw: string | undefined, name = 'X'): T | undefined | string {
  const problems: string[] = [];
  const v = readOne({ [name]: raw }, name, p, problems);
  return problems.length ? `ERR ${problems[0]}` : v;
}

test('whole numbers: ranges, and no fractions or other notations', () => {
  const p = int(1, 10);
  assert.equal(read(p, '7'), 7);
  assert.equal(read(p, ' 7 '), 7);
  assert.equal(read(p, undefined), undefined, 'unset = default');
  assert.equal(read(p, '  '), undefined, 'blank = default');
  for (const bad of ['2.5', '1e1', '0x10', '-1', '+3', 'seven', '7ms']) assert.match(String(read(p, bad)), /^ERR X must be a whole number from 1 to 10, got/, bad);
  assert.match(String(read(p, '11')), /^ERR X must be from 1 to 10, got '11'/);
  assert.match(String(read(p, '0')), /^ERR X must be from 1 to 10/);
});

test('durations are whole milliseconds within a range', () => {
  assert.equal(read(ms(0), '0'), 0);
  assert.equal(read(ms(100), '250'), 250);
  assert.match(String(read(ms(100), '99')), /X must be from 100 to 2_147_483_647 ms/);
  assert.match(String(read(ms(0), '1.5')), /whole number of milliseconds/);
  assert.match(String(read(ms(0), '2147483648')), /must be from/);
});

test('decimals, enums, booleans, auto-or-count, lists, URLs', () => {
  assert.equal(read(decimal(0, 1), '0.25'), 0.25);
  assert.equal(read(decimal(0, 1), '.5'), 0.5);
  assert.match(String(read(decimal(0, 1), '1e-1')), /decimal number from 0 to 1/);
  assert.match(String(read(decimal(0, 1), '2')), /from 0 to 1/);
  assert.equal(read(oneOf(['info', 'warn']), 'WARN'), 'warn');
  assert.match(String(read(oneOf(['info', 'warn']), 'loud')), /X must be one of info, warn, got 'loud'/);
  assert.equal(read(bool(), 'yes'), true);
  assert.equal(read(bool(), '0'), false);
  assert.match(String(read(bool(), 'maybe')), /X must be 1\/0/);
  assert.equal(read(intOrAuto(0, 8), 'Auto'), 'auto');
  assert.equal(read(intOrAuto(0, 8), '3'), 3);
  assert.match(String(read(intOrAuto(0, 8), '2.5')), /'auto' or a whole number/);
  assert.deepEqual(read(list(int(0, 9)), ' 1, 2,,3 '), [1, 2, 3]);
  assert.deepEqual(read(list(int(0, 9)), ','), []);
  assert.match(String(read(list(int(0, 9)), '1,x')), /X item 'x' must be a whole number/);
  assert.equal(read(url(true), 'http://h:9/p/'), 'http://h:9');
  assert.match(String(read(url(), 'ftp://h')), /http\(s\) URL/);
});

test('every problem is reported at once, each naming its variable; secrets are not echoed', () => {
  try {
    readSettings({ PORT: '80.5', LIMIT_MP3: '2.5', QUEUE_WAIT_MS: '1e3', API_KEYS: 'sk ok' }, 'gateway');
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof SettingsError);
    assert.deepEqual(e.problems.map((p) => p.split(' ')[0]), ['PORT', 'API_KEYS', 'LIMIT_MP3', 'QUEUE_WAIT_MS']);
    assert.doesNotMatch(e.message, /sk ok/);
  }
});

test('the issue\'s examples: LIMIT_MP3=2.5 and ENGINE_THREADS=0 are refused', () => {
  assert.throws(() => loadGatewaySettings({ LIMIT_MP3: '2.5' }), /LIMIT_MP3 must be a whole number from 1 to 100_000, got '2.5'/);
  assert.throws(() => loadGatewaySettings({ ENGINE_THREADS: '0' }), /ENGINE_THREADS must be from 1 to 1024/);
  assert.throws(() => loadEngineSettings({ ENGINE_THREADS: '0' }), /ENGINE_THREADS must be from 1 to 1024/);
  assert.throws(() => loadEngineSettings({ ENGINE_MAX_ACTIVE: '0' }), /ENGINE_MAX_ACTIVE/);
  assert.throws(() => loadEngineSettings({ ENGINE_DEVICE: 'gpu' }), /ENGINE_DEVICE must be 'cpu' or 'cuda:N'/);
  // The gateway checks what its engines will inherit, once per variable.
  assert.throws(() => loadGatewaySettings({ ENGINE_MAX_ACTIVE: '0' }), /ENGINE_MAX_ACTIVE/);
  assert.throws(() => loadGatewaySettings({ ENGINE_THREADS: '0', ENGINE_DEVICE: 'gpu' }), (e: SettingsError) => e.problems.length === 2);
  assert.throws(() => loadGatewaySettings({ ENGINES_PER_GPU: '1.5' }), /ENGINES_PER_GPU/);
  assert.throws(() => loadGatewaySettings({ HEALTH_INTERVAL_MS: '2e3' }), /HEALTH_INTERVAL_MS/);
});

test('defaults computed from other settings and from the engine plan', () => {
  assert.equal(loadGatewaySettings({}).http.bodyLimitBytes, 1 << 20);
  assert.equal(loadGatewaySettings({ MAX_INPUT_CHARS: '1000000' }).http.bodyLimitBytes, 1_000_000 * 6 + 64 * 1024);
  assert.equal(loadGatewaySettings({ MAX_INPUT_CHARS: '1000000', BODY_LIMIT_BYTES: '2048' }).http.bodyLimitBytes, 2048);
  assert.equal(loadGatewaySettings({ ENGINES: '3' }, { cores: 2 }).admission.global, 6);
  assert.equal(loadGatewaySettings({ ENGINES: '0', ENGINE_URLS: 'https://a:1,https://b:2', ENGINE_TOKEN: 'a-long-enough-engine-secret' }).admission.global, 8);
  const s = loadGatewaySettings({ ENCODER_POOL: '0', ENCODER_POOL_MP3: '3', RETRY_BUDGET_RATIO: '0.5' });
  assert.equal(s.encoders.poolSize.mp3, 3);
  assert.equal(s.encoders.poolSize['mp3:file'], 0);
  assert.equal(s.supervision.retryBudgetRatio, 0.5);
  assert.deepEqual(loadGatewaySettings({}).encoders.poolSize, {}, 'unset: the factory\'s defaults');
  const e = loadEngineSettings({ ENGINE_DEBUG: '1', KOKORO_MODELS_DIR: '/m' }, { pid: 42, cores: 3 });
  assert.equal(e.id, 'engine-42');
  assert.equal(e.threads, 3);
  assert.equal(e.debug, true);
  assert.equal(e.modelsDir, '/m');
  assert.equal(e.heartbeatMs, 1000);
});

test('GPUs are detected only for ENGINES=auto without GPUS', () => {
  let asked = 0;
  const detect = () => { asked++; return [0]; };
  assert.deepEqual(loadGatewaySettings({}, { detectedGpus: detect }).supervision.slots.map((s) => s.device), ['cuda:0']);
  loadGatewaySettings({ ENGINES: '2' }, { detectedGpus: detect });
  loadGatewaySettings({ GPUS: '1' }, { detectedGpus: detect });
  assert.equal(asked, 1);
});

test('the README table is the one generated from the schema', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const a = readme.indexOf(TABLE_BEGIN);
  const b = readme.indexOf(TABLE_END);
  assert.ok(a >= 0 && b > a, 'README.md has the settings table markers');
  assert.equal(readme.slice(a, b + TABLE_END.length), settingsTableBlock(), 'README.md is out of date: run `npm run settings:table -- --write README.md`');
});

test('every environment variable runtime code reads is declared in the schema', () => {
  const declared = new Set(allSettings().map(([n]) => n));
  // The system's search path (ffmpeg lookup) is not a setting of ours.
  const system = new Set(['PATH']);
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
        const src = readFileSync(p, 'utf8');
        // env.X or env['X'] / env["X"], read (not assigned) anywhere in the file.
        for (const m of src.matchAll(/env(?:\?\.|\.)([A-Z][A-Z0-9_]*)\b(?!\s*=[^=])|env\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\](?!\s*=[^=])/g)) found.set(m[1] ?? m[2]!, p);
        // readOne(env, 'X', ...) and given(env, 'X') style look-ups.
        for (const m of src.matchAll(/\(\s*[\w.]*[eE]nv[\w.]*\s*,\s*['"`]([A-Z][A-Z0-9_]*)['"`]/g)) found.set(m[1]!, p);
      }
    }
  };
  for (const d of ['gateway', 'engine', 'audio', 'models', 'protocol', 'settings']) walk(join(REPO_ROOT, d));
  const undeclared = [...found].filter(([n]) => !declared.has(n) && !system.has(n)).map(([n, p]) => `${n} (${p})`);
  assert.deepEqual(undeclared, []);
  assert.ok(found.has('KOKORO_MODELS_MIRROR') && found.has('FFMPEG_PATH'), 'the scan sees the reads it should');
});
