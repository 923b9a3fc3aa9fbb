// Engine debug endpoints are proxied (http-proxy-3) to the engine, read-only paths only.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { testApp } from './helpers.js';

const seen: string[] = [];
const engine = createServer((req, res) => {
  seen.push(`${req.method} ${req.url}`);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ state: 'ready', path: req.url }));
});
await new Promise<void>((r) => engine.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${(engine.address() as AddressInfo).port}`;
const { app } = testApp({ engineOrigin: (id) => (id === 'cpu0' ? origin : id === 'gone' ? 'http://127.0.0.1:1' : null) });
await app.listen({ port: 0, host: '127.0.0.1' });
const gateway = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
after(async () => {
  await app.close();
  engine.close();
});

test('GET /v1/engines/:id/health reaches that engine', async () => {
  const res = await fetch(`${gateway}/v1/engines/cpu0/health`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { state: 'ready', path: '/health' });
  assert.deepEqual(seen, ['GET /health']);
});

test('unknown engines and paths get OpenAI-shaped 404s; a dead engine 502', async () => {
  const unknown = await fetch(`${gateway}/v1/engines/nope/health`);
  assert.equal(unknown.status, 404);
  assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'engine_not_found');
  const badPath = await fetch(`${gateway}/v1/engines/cpu0/synthesize`);
  assert.equal(badPath.status, 404);
  const dead = await fetch(`${gateway}/v1/engines/gone/voices`);
  assert.equal(dead.status, 502);
  assert.equal(((await dead.json()) as { error: { code: string } }).error.code, 'engine_unreachable');
  assert.equal(seen.filter((s) => s.includes('synthesize')).length, 0);
});
