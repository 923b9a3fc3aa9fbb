// Behaviour only a real socket shows: chunked streaming as it happens, a connection cut when
// the source fails mid-stream, and a client that leaves mid-stream.
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpeechError } from '../../gateway/speech/errors.js';
import { base, testApp, type TestAppOptions } from './helpers.js';
import { expectedPcm } from './fakes.js';

async function listen(o: TestAppOptions) {
  const t = testApp(o);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (t.app.server.address() as AddressInfo).port;
  return { ...t, port };
}

/** POSTs a speech request; resolves with the response head once it arrives. */
function post(port: number, body: unknown): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/audio/speech', headers: { 'content-type': 'application/json' } }, resolve);
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Reads the whole body; rejects if the connection is cut before the end. */
function readAll(res: IncomingMessage, got: Buffer[] = []): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    res.on('data', (b: Buffer) => got.push(b));
    res.on('end', () => resolve(Buffer.concat(got)));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('aborted')));
  });
}

async function until(cond: () => boolean, what: string, ms = 3000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('over a real socket', () => {
  const apps: Array<Awaited<ReturnType<typeof listen>>> = [];
  const open = async (o: TestAppOptions) => {
    const a = await listen(o);
    apps.push(a);
    return a;
  };
  after(async () => {
    await Promise.all(apps.map((a) => a.app.close()));
  });

  it('streams chunks as they are made, chunked, complete', async () => {
    const { port } = await open({ source: { chunks: 4, delayMs: 20 } });
    const res = await post(port, { ...base, response_format: 'pcm' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    const arrivals: number[] = [];
    res.on('data', () => arrivals.push(Date.now()));
    const body = await readAll(res);
    assert.deepEqual(body, expectedPcm(4));
    assert.ok(arrivals.length >= 2, 'audio arrives in several pieces, not one at the end');
  });

  it('a source failure after bytes went out cuts the connection (no clean short end)', async () => {
    const { port, admission, encoders } = await open({ source: { chunks: 6, delayMs: 5, failAfter: 3, failWith: new SpeechError('unavailable', 'engine died') } });
    const res = await post(port, { ...base, response_format: 'pcm' });
    assert.equal(res.statusCode, 200);
    const got: Buffer[] = [];
    await assert.rejects(readAll(res, got));
    const prefix = Buffer.concat(got);
    assert.ok(prefix.length > 0 && prefix.length < expectedPcm(6).length);
    assert.deepEqual(prefix, expectedPcm(6).subarray(0, prefix.length));
    await until(() => admission.released === 1, 'admission release');
    assert.equal(encoders.created[0]!.destroyed, true);
  });

  it('an encoder death after bytes went out also cuts the connection', async () => {
    const { port, admission } = await open({ source: { chunks: 6, delayMs: 5 }, plans: [{ dieAfterWrites: 2 }] });
    const res = await post(port, { ...base, response_format: 'flac' });
    assert.equal(res.statusCode, 200);
    await assert.rejects(readAll(res));
    await until(() => admission.released === 1, 'admission release');
  });

  it('a client that leaves mid-stream: source aborted, encoder destroyed, admission released once', async () => {
    const { port, source, encoders, admission, metrics } = await open({ source: { chunks: 10, hangAfter: 2 } });
    const res = await post(port, { ...base, response_format: 'mp3' });
    assert.equal(res.statusCode, 200);
    await new Promise<void>((r) => res.once('data', () => r()));
    await source.hanging;
    res.destroy();
    await until(() => admission.released === 1, 'admission release');
    assert.equal(source.signals[0]!.aborted, true);
    assert.equal(encoders.created[0]!.destroyed, true);
    assert.equal(admission.doubleRelease, 0);
    // The request's line is recorded once the response closed, a moment after the abort.
    const want = /kokoro_speech_requests_total\{format="mp3",status="200",outcome="client_gone"\} 1/;
    let text = '';
    for (let i = 0; i < 100 && !want.test(text); i++) {
      text = await metrics.registry.metrics();
      if (!want.test(text)) await sleep(10);
    }
    assert.match(text, want);
  });

  it('a client that leaves while the request waits for its first byte also stops everything', async () => {
    const { port, source, admission } = await open({ source: { chunks: 3, hangAfter: 0 } });
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/audio/speech', headers: { 'content-type': 'application/json' } });
    req.on('error', () => {});
    req.end(JSON.stringify({ ...base, response_format: 'wav' }));
    await source.hanging;
    req.destroy();
    await until(() => admission.released === 1, 'admission release');
    assert.equal(source.signals[0]!.aborted, true);
  });
});
