// An SSE stream that fails after it started says so: an `error` event in OpenAI's error shape,
// then the end of the stream. A plain audio stream is still cut (see socket.test.ts).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { SpeechError } from '../../gateway/speech/errors.js';
import { base, testApp } from './helpers.js';
import { expectedPcm } from './fakes.js';

const t = testApp({ source: { chunks: 6, delayMs: 5, failAfter: 3, failWith: new SpeechError('unavailable', 'every engine failed') } });
await t.app.listen({ port: 0, host: '127.0.0.1' });
const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/v1/audio/speech`;
after(() => t.app.close());

test('SSE: deltas, then an error event before the stream ends; no done event', async () => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...base, response_format: 'pcm', stream_format: 'sse' }),
  });
  assert.equal(res.status, 200);
  assert.match(String(res.headers.get('content-type')), /^text\/event-stream/);
  const text = await res.text(); // ends cleanly: the error is in the stream, not a cut
  const events = text.split('\n\n').filter((b) => b.length > 0).map((b) => {
    assert.match(b, /^data: /);
    return JSON.parse(b.slice(6)) as { type: string; audio?: string; error?: Record<string, unknown> };
  });
  const last = events.at(-1)!;
  assert.equal(last.type, 'error');
  assert.deepEqual(Object.keys(last.error!).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(last.error!.type, 'server_error');
  assert.equal(last.error!.code, 'service_unavailable');
  assert.equal(last.error!.message, 'every engine failed');
  const deltas = events.slice(0, -1);
  assert.ok(deltas.length >= 1 && deltas.every((d) => d.type === 'speech.audio.delta'));
  assert.ok(!events.some((e) => e.type === 'speech.audio.done'));
  assert.deepEqual(Buffer.concat(deltas.map((d) => Buffer.from(d.audio!, 'base64'))), expectedPcm(3));
});

test('a plain audio stream that fails is still cut, never a clean short end', async () => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...base, response_format: 'pcm' }),
  });
  assert.equal(res.status, 200);
  await assert.rejects(res.arrayBuffer());
});
