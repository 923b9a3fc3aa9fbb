import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { loadGatewaySettings } from '../../settings/tree.js';
import { buildApp } from '../../gateway/http/app.js';
import { createMetrics } from '../../gateway/metrics.js';
import { FakeAdmission, FakeEncoders, FakeSource } from './fakes.js';
import { VOICES } from './helpers.js';

const loadConfig = (env: Record<string, string>) => loadGatewaySettings(env).http;

describe('gateway http settings', () => {
  it('has documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8880);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.maxInputChars, 100_000);
    assert.ok(c.bodyLimitBytes >= c.maxInputChars * 6, 'the body limit fits the longest escaped input');
    assert.deepEqual(c.apiKeys, []);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.encoderAttempts, 3);
  });

  it('reads the environment, keys from a list and a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    try {
      const file = join(dir, 'keys');
      writeFileSync(file, '# operators\nsk-file-1\n\n  sk-file-2  \nsk-a\n');
      const c = loadConfig({ PORT: '9000', HOST: '127.0.0.1', MAX_INPUT_CHARS: '500', API_KEYS: 'sk-a, sk-b,,', API_KEYS_FILE: file, LOG_LEVEL: 'WARN' });
      assert.equal(c.port, 9000);
      assert.equal(c.host, '127.0.0.1');
      assert.equal(c.maxInputChars, 500);
      assert.deepEqual(c.apiKeys, ['sk-a', 'sk-b', 'sk-file-1', 'sk-file-2']);
      assert.equal(c.logLevel, 'warn');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses invalid values, naming the variable', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/);
    assert.throws(() => loadConfig({ PORT: '70000' }), /PORT/);
    assert.throws(() => loadConfig({ MAX_INPUT_CHARS: '0' }), /MAX_INPUT_CHARS/);
    assert.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
    assert.throws(() => loadConfig({ API_KEYS_FILE: '/nonexistent/keys' }), /API_KEYS_FILE/);
  });
});

describe('request log', () => {
  it('writes one line per speech request with its facts, never the input or the key', async () => {
    const lines: Record<string, any>[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l)); cb(); } });
    const app = buildApp({
      config: loadConfig({ API_KEYS: 'sk-very-secret' }),
      source: new FakeSource({ chunks: 3 }),
      admission: new FakeAdmission(),
      encoders: new FakeEncoders(),
      metrics: createMetrics(),
      voices: () => VOICES,
      ready: () => true,
      logger: pino({ level: 'info' }, sink),
    });
    const secretText = 'My bank PIN is 4321, please read it aloud.';
    const res = await app.inject({
      method: 'POST', url: '/v1/audio/speech',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-very-secret', 'x-request-id': 'log-1' },
      payload: JSON.stringify({ model: 'tts-1', input: secretText, voice: 'af_bella', response_format: 'pcm' }),
    });
    assert.equal(res.statusCode, 200);
    await app.inject({ method: 'POST', url: '/v1/audio/speech', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-very-secret' }, payload: JSON.stringify({ model: 'x', input: secretText, voice: 'af_bella' }) });
    await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Bearer sk-wrong-key' } });
    await new Promise((r) => setImmediate(r));
    await app.close();
    const all = JSON.stringify(lines);
    assert.doesNotMatch(all, /PIN|4321|sk-very-secret|sk-wrong-key/);
    const speechLines = lines.filter((l) => l.msg === 'speech request');
    assert.equal(speechLines.length, 2);
    const ok = speechLines.find((l) => l.speech.id === 'log-1')!.speech;
    assert.equal(ok.format, 'pcm');
    assert.equal(ok.voice, 'af_bella');
    assert.equal(ok.characters, secretText.length);
    assert.equal(ok.audioSeconds, 0.3);
    assert.equal(ok.outcome, 'ok');
    assert.equal(ok.status, 200);
    assert.equal(typeof ok.ttfbMs, 'number');
    assert.equal(typeof ok.durationMs, 'number');
    assert.equal(speechLines.find((l) => l.speech.id !== 'log-1')!.speech.outcome, 'client_error');
  });
});
