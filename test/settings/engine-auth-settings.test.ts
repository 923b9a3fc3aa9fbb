// Engine authentication settings: ENGINE_TOKEN / ENGINE_TOKEN_FILE on both sides, the engine's
// loopback rule, the https rule for remote engines, and the text cap passed to engines.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadEngineSettings, loadGatewaySettings } from '../../settings/tree.js';

const TOKEN = 'a-long-enough-engine-secret';
const gw = (env: Record<string, string>) => loadGatewaySettings({ ENGINES: '0', ...env }, { detectedGpus: [], cores: 2 });

test('an engine beyond loopback needs a token; on loopback it may run without', () => {
  assert.equal(loadEngineSettings({}).token, undefined);
  assert.equal(loadEngineSettings({ ENGINE_HOST: '127.0.0.1' }).token, undefined);
  assert.throws(() => loadEngineSettings({ ENGINE_HOST: '0.0.0.0' }), /ENGINE_HOST=0\.0\.0\.0 lets other machines connect: set ENGINE_TOKEN/);
  assert.equal(loadEngineSettings({ ENGINE_HOST: '0.0.0.0', ENGINE_TOKEN: TOKEN }).token, TOKEN);
  assert.throws(() => loadEngineSettings({ ENGINE_TOKEN: 'short' }), /ENGINE_TOKEN is invalid \(not shown\)/);
});

test('ENGINE_TOKEN_FILE: the first line; unreadable or both set = refused; never echoed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'engine-token-'));
  try {
    const file = join(dir, 'token');
    writeFileSync(file, `\n${TOKEN}\n`);
    assert.equal(loadEngineSettings({ ENGINE_TOKEN_FILE: file }).token, TOKEN);
    assert.equal(gw({ ENGINE_TOKEN_FILE: file, ENGINE_URLS: 'https://engine.example:9000' }).supervision.remoteEngineToken, TOKEN);
    assert.throws(() => loadEngineSettings({ ENGINE_TOKEN_FILE: join(dir, 'none') }), /ENGINE_TOKEN_FILE cannot be read: ENOENT/);
    assert.throws(() => loadEngineSettings({ ENGINE_TOKEN_FILE: file, ENGINE_TOKEN: TOKEN }), /both set/);
    writeFileSync(file, 'tiny');
    assert.throws(() => loadEngineSettings({ ENGINE_TOKEN_FILE: file }), (e: Error) => /at least 16/.test(e.message) && !e.message.includes('tiny'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  try {
    loadEngineSettings({ ENGINE_TOKEN: 'sk secret with spaces' });
    assert.fail('should throw');
  } catch (e) {
    assert.doesNotMatch((e as Error).message, /secret with spaces/);
  }
});

test('remote engines: a token unless on loopback, and https unless allowed', () => {
  assert.equal(gw({ ENGINE_URLS: 'http://127.0.0.1:9000' }).supervision.remoteEngineToken, undefined);
  assert.throws(() => gw({ ENGINE_URLS: 'https://engine.example:9000' }), /not on this machine: set ENGINE_TOKEN/);
  assert.throws(() => gw({ ENGINE_URLS: 'http://engine.example:9000', ENGINE_TOKEN: TOKEN }), /clear text: use https/);
  assert.equal(gw({ ENGINE_URLS: 'https://engine.example:9000', ENGINE_TOKEN: TOKEN }).supervision.remoteEngineToken, TOKEN);
  assert.equal(gw({ ENGINE_URLS: 'http://engine.example:9000', ENGINE_TOKEN: TOKEN, ENGINE_ALLOW_HTTP: '1' }).supervision.slots[0]!.url, 'http://engine.example:9000');
});

test('engines cap text at MAX_INPUT_CHARS, and their body limit follows it', () => {
  const d = loadEngineSettings({});
  assert.equal(d.maxTextChars, 100_000);
  assert.equal(d.maxBodyBytes, 100_000 * 6 + 64 * 1024);
  const small = loadEngineSettings({ MAX_INPUT_CHARS: '500' });
  assert.equal(small.maxTextChars, 500);
  assert.ok(small.maxBodyBytes < 8 * 1024 * 1024);
});
