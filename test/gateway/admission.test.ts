import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdmissionControl } from '../../gateway/speech/admission.js';
import { toApiError } from '../../gateway/http/error-handling.js';
import { createMetrics } from '../../gateway/metrics.js';

const limits = (over: Partial<ConstructorParameters<typeof AdmissionControl>[0]> = {}) => ({
  global: 3,
  perFormat: { mp3: 1, opus: 2, aac: 2, flac: 1, wav: 3, pcm: 3 },
  queueSize: 2,
  maxWaitMs: 200,
  ...over,
});
const never = new AbortController().signal;
/** What the client would see. */
const http = (e: unknown) => toApiError(e, 0);

test('per-format limit queues, and a freed slot goes to the waiter', async () => {
  const a = new AdmissionControl(limits());
  const r1 = await a.acquire('flac', never);
  let second = false;
  const p2 = a.acquire('flac', never).then((r) => ((second = true), r));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(second, false);
  assert.equal(a.waiting, 1);
  r1();
  const r2 = await p2;
  assert.equal(a.inUse, 1);
  r2();
  r2(); // releasing twice is harmless
  assert.equal(a.inUse, 0);
});

test('a saturated format does not block another format behind it', async () => {
  const a = new AdmissionControl(limits());
  const mp3 = await a.acquire('mp3', never);
  const waitingMp3 = a.acquire('mp3', never);
  const wav = await a.acquire('wav', never); // queue has an mp3 waiter, but wav has room
  assert.equal(a.inUse, 2);
  wav();
  mp3();
  (await waitingMp3)();
});

test('past the queue bound: 429 with Retry-After; waiting too long: 429', async () => {
  const metrics = createMetrics();
  const a = new AdmissionControl(limits(), metrics);
  const held = await a.acquire('mp3', never);
  const w1 = a.acquire('mp3', never);
  const w2 = a.acquire('mp3', never);
  await assert.rejects(a.acquire('mp3', never), (e: unknown) => http(e).status === 429 && http(e).retryAfter! >= 1 && http(e).code === 'rate_limit_exceeded');
  await assert.rejects(w1, (e: unknown) => http(e).status === 429 && /waited too long/.test(http(e).message));
  await assert.rejects(w2, (e: unknown) => http(e).status === 429);
  held();
  const text = await metrics.registry.metrics();
  assert.match(text, /kokoro_admission_rejections_total\{reason="queue_full"\} 1/);
  assert.match(text, /kokoro_admission_rejections_total\{reason="wait_timeout"\} 2/);
});

test('a waiter whose client left is dropped and never granted', async () => {
  const a = new AdmissionControl(limits());
  const held = await a.acquire('mp3', never);
  const ac = new AbortController();
  const w = a.acquire('mp3', ac.signal);
  ac.abort(new Error('client gone'));
  await assert.rejects(w, /client gone/);
  assert.equal(a.waiting, 0);
  held();
  assert.equal(a.inUse, 0);
});

test('the global limit applies across formats', async () => {
  const a = new AdmissionControl(limits({ global: 2 }));
  const r = [await a.acquire('wav', never), await a.acquire('pcm', never)];
  const third = a.acquire('opus', never);
  assert.equal(a.waiting, 1);
  r[0]!();
  (await third)();
  r[1]!();
});
