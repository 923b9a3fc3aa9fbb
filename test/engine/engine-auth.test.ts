// Engines serve only their gateway: with a token every route wants `Authorization: Bearer`,
// the gateway's client sends it on every request, a non-loopback engine without a token does
// not start, and text longer than MAX_INPUT_CHARS is refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { EngineClient } from '../../gateway/engines/engine-client.js';
import { REPO_ROOT } from '../../models/paths.js';
import { startEngine, type EngineProcess } from '../support/engine-process.js';
import { writeTinyKokoroModel } from '../support/tiny-model.js';

const TOKEN = 'engine-test-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'engine-auth-'));
const modelFile = join(dir, 'tiny.onnx');
writeTinyKokoroModel(modelFile);
let engine: EngineProcess;

before(async () => {
  engine = await startEngine({ env: { KOKORO_MODEL_FILE: modelFile, KOKORO_CACHE_DIR: join(dir, 'cache'), ENGINE_TOKEN: TOKEN, MAX_INPUT_CHARS: '40' } });
});
after(async () => {
  await engine?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const call = (path: string, auth?: string, body?: unknown) =>
  fetch(`${engine.origin}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });

test('every route answers 401 (engine error shape) without the right Bearer token', async () => {
  for (const [path, body] of [['/health'], ['/voices'], ['/synthesize', { text: 'Hello.', voice: 'af_heart' }], ['/nothing']] as const) {
    for (const auth of [undefined, 'Bearer wrong-token', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, TOKEN]) {
      const res = await call(path, auth, body);
      assert.equal(res.status, 401, `${path} with ${auth}`);
      assert.deepEqual(Object.keys((await res.json()) as object).sort(), ['code', 'message']);
    }
  }
  const ok = await call('/health', `Bearer ${TOKEN}`);
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as { state: string }).state, 'ready');
  assert.equal((await call('/voices', `Bearer ${TOKEN}`)).status, 200);
});

test('the gateway client sends the token on every request', async () => {
  const good = new EngineClient(engine.origin, { token: TOKEN });
  const none = new EngineClient(engine.origin);
  try {
    assert.equal((await good.health(2000)).state, 'ready');
    await assert.rejects(none.health(2000), /401/);
    let frames = 0;
    for await (const f of good.synthesize({ text: 'Hello there.', voice: 'af_heart' }, { signal: new AbortController().signal, stallMs: 5000, chunkTimeoutMs: 5000 })) {
      void f;
      frames++;
    }
    assert.ok(frames > 0);
    await assert.rejects(async () => {
      for await (const f of none.synthesize({ text: 'Hello there.', voice: 'af_heart' }, { signal: new AbortController().signal, stallMs: 5000, chunkTimeoutMs: 5000 })) void f;
    }, (e: { status?: number; engineError?: { code: string } }) => e.status === 401 && e.engineError?.code === 'unauthorized');
  } finally {
    await good.close();
    await none.close();
  }
});

test('text longer than MAX_INPUT_CHARS is refused by the engine', async () => {
  const res = await call('/synthesize', `Bearer ${TOKEN}`, { text: 'x'.repeat(41), voice: 'af_heart' });
  assert.equal(res.status, 400);
  const err = (await res.json()) as { code: string; param: string };
  assert.equal(err.code, 'invalid_text');
  assert.equal(err.param, 'text');
  // The body limit follows too: 6 bytes per character + 64 KiB, far below the old 8 MB.
  const big = await fetch(`${engine.origin}/synthesize`, {
    method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'y'.repeat(200_000), voice: 'af_heart' }),
  }).catch((e: Error) => e);
  assert.ok(big instanceof Error || big.status === 400, 'an oversized body is refused');
});

test('an engine bound beyond loopback without a token refuses to start', () => {
  const r = spawnSync(process.execPath, [resolve(REPO_ROOT, 'dist/engine/main.js')], {
    env: { ...process.env, ENGINE_HOST: '0.0.0.0', ENGINE_TOKEN: '', ENGINE_TOKEN_FILE: '', KOKORO_MODEL_FILE: modelFile },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 78, r.stderr);
  assert.match(r.stderr, /ENGINE_HOST=0\.0\.0\.0 lets other machines connect: set ENGINE_TOKEN/);
});
