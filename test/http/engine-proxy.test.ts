// Engine debug endpoints are proxied (http-proxy-3) to the engine, read-only paths only.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { testApp } from './helpers.js';

const seen: string[] = [];
const headers: Array<Record<string, string | string[] | undefined>> = [];
const engine = createServer((req, res) => {
  seen.push(`${req.method} ${req.url}`);
  headers.push(req.headers);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ state: 'ready', path: req.url }));
});
await new Promise<void>((r) => engine.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${(engine.address() as AddressInfo).port}`;
const { app } = testApp({
  engineOrigin: (id) => (id === 'cpu0' ? origin : id === 'gone' ? 'http://127.0.0.1:1' : null),
  engineToken: (id) => (id === 'cpu0' ? 'engine-secret-token-0123456789' : undefined),
});
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

test("the client's credentials never reach the engine; the engine's token does", async () => {
  headers.length = 0;
  const res = await fetch(`${gateway}/v1/engines/cpu0/voices`, {
    headers: { authorization: 'Bearer sk-client-key', cookie: 'session=abc', 'x-api-key': 'sk-other', 'proxy-authorization': 'Basic eA==' },
  });
  assert.equal(res.status, 200);
  const got = headers.at(-1)!;
  assert.equal(got.authorization, 'Bearer engine-secret-token-0123456789');
  assert.equal(got.cookie, undefined);
  assert.equal(got['x-api-key'], undefined);
  assert.equal(got['proxy-authorization'], undefined);
  assert.doesNotMatch(JSON.stringify(got), /sk-client-key|session=abc|sk-other/);
});
