// Kokoro-FastAPI's return_download_link over the fakes (a pass-through encoder, so the file's
// bytes are the samples): X-Download-Path, the file served at /v1/download and /download once
// the response finished, gain applied, nothing kept for a failed request, and the store's
// limits (count, bytes, age), privacy (0700 folder, 0600 files) and clean-up.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DownloadLinks } from '../../gateway/http/download-links.js';
import { applyGain } from '../../gateway/speech/gain.js';
import type { SpeechJob } from '../../gateway/speech/types.js';
import { expectedPcm, FakeAdmission, FakeEncoders, FakeSource } from './fakes.js';
import { base, speech, testApp } from './helpers.js';

const NAME = /^\/download\/[0-9a-f]{32}\.(wav|mp3|pcm)$/;

describe('return_download_link through the app', () => {
  const { app } = testApp();
  after(() => app.close());

  it('streaming: X-Download-Path names a file in download_format, served with the same audio when the response is done', async () => {
    const r = await app.inject(speech({ ...base, response_format: 'pcm', return_download_link: true, download_format: 'wav' }));
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.rawPayload, expectedPcm(5));
    const path = String(r.headers['x-download-path']);
    assert.match(path, NAME);
    assert.ok(path.endsWith('.wav'));
    for (const url of [`/v1${path}`, path]) {
      const d = await app.inject({ method: 'GET', url });
      assert.equal(d.statusCode, 200, url);
      assert.equal(d.headers['content-type'], 'audio/wav');
      assert.equal(d.headers['content-disposition'], 'attachment; filename="speech.wav"');
      assert.equal(Number(d.headers['content-length']), d.rawPayload.length);
      assert.deepEqual(d.rawPayload, expectedPcm(5), 'the fake encoder passes samples through');
    }
  });

  it('whole file (stream: false), download_format defaulting to response_format, volume applied to both', async () => {
    const r = await app.inject(speech({ ...base, response_format: 'mp3', stream: false, return_download_link: true, volume_multiplier: 2 }));
    assert.equal(r.statusCode, 200);
    const path = String(r.headers['x-download-path']);
    assert.ok(path.endsWith('.mp3'), path);
    const d = await app.inject({ method: 'GET', url: `/v1${path}` });
    assert.equal(d.statusCode, 200);
    const loud = Buffer.concat(Array.from({ length: 5 }, (_, k) => {
      const s = applyGain(new Int16Array(expectedPcm(5).buffer.slice(k * 4800, (k + 1) * 4800)), 2);
      return Buffer.from(s.buffer);
    }));
    assert.deepEqual(d.rawPayload, loud);
    assert.deepEqual(r.rawPayload, loud);
  });

  it('without return_download_link: no header, download_format only checked', async () => {
    const r = await app.inject(speech({ ...base, response_format: 'pcm', return_download_link: false, download_format: 'wav' }));
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['x-download-path'], undefined);
    const bad = await app.inject(speech({ ...base, download_format: 'ogg' }));
    assert.equal(bad.statusCode, 400);
    assert.equal(JSON.parse(bad.payload).error.param, 'download_format');
    const type = await app.inject(speech({ ...base, return_download_link: 'yes' }));
    assert.equal(JSON.parse(type.payload).error.param, 'return_download_link');
  });

  it('unknown, malformed or hostile names are a 404 in OpenAI\'s shape', async () => {
    for (const url of ['/v1/download/0123456789abcdef0123456789abcdef.wav', '/download/..%2F..%2Fetc%2Fpasswd', '/v1/download/x.wav']) {
      const d = await app.inject({ method: 'GET', url });
      assert.equal(d.statusCode, 404, url);
      assert.equal(JSON.parse(d.payload).error.code, 'not_found');
    }
  });
});

describe('return_download_link: a failed request keeps no file', () => {
  const { app } = testApp({ source: { failAfter: 2 } });
  after(() => app.close());

  it('the request fails (503) after two chunks were recorded, and its link answers 404', async () => {
    const r = await app.inject(speech({ ...base, response_format: 'pcm', stream: false, return_download_link: true }));
    assert.equal(r.statusCode, 503);
    const path = String(r.headers['x-download-path']);
    assert.match(path, NAME);
    assert.equal((await app.inject({ method: 'GET', url: `/v1${path}` })).statusCode, 404);
  });
});

describe('DownloadLinks limits', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'download-links-test-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const job: SpeechJob = { requestId: 't', text: 'x', voice: 'af_heart', speed: 1 };

  /** One whole recording of `chunks` fake chunks; its file name. */
  async function record(links: DownloadLinks, chunks = 1): Promise<string> {
    const rec = links.begin('pcm');
    assert.ok(rec);
    const deps = rec.wrap({ source: new FakeSource({ chunks }), admission: new FakeAdmission(), encoders: new FakeEncoders(), encoderAttempts: 1 });
    await rec.track((async () => {
      for await (const ev of deps.source.synthesize(job, new AbortController().signal)) void ev;
    })());
    return rec.downloadPath.slice('/download/'.length);
  }

  it('count: the oldest finished file goes first; files are 0600 in a 0700 folder; close() removes it all', async () => {
    const links = new DownloadLinks({ encoders: new FakeEncoders(), tmpDir: tmp, maxFiles: 2 });
    const a = await record(links);
    const pathA = links.lookup(a)!.path;
    assert.equal(statSync(pathA).mode & 0o777, 0o600);
    assert.equal(statSync(dirname(pathA)).mode & 0o777, 0o700);
    const b = await record(links);
    const c = await record(links);
    assert.equal(links.lookup(a), undefined);
    assert.equal(existsSync(pathA), false, 'the evicted file is deleted');
    assert.ok(links.lookup(b) && links.lookup(c));
    assert.equal(links.lookup(c)!.bytes, 4800);
    links.close();
    assert.equal(existsSync(dirname(pathA)), false);
    assert.equal(links.begin('pcm'), null, 'closed: no more files');
  });

  it('bytes and age: beyond maxBytes the oldest goes; past the TTL nothing is served', async () => {
    let now = 1_000_000;
    const links = new DownloadLinks({ encoders: new FakeEncoders(), tmpDir: tmp, maxBytes: 3 * 4800, ttlMs: 60_000, now: () => now });
    const a = await record(links, 2);
    const b = await record(links, 2);
    assert.equal(links.lookup(a), undefined, '4 chunks > 3 chunks of bytes: the first file went');
    assert.equal(links.lookup(b)!.bytes, 2 * 4800);
    now += 60_001;
    assert.equal(links.lookup(b), undefined);
    assert.deepEqual(readdirSync(dirname(links.lookup(await record(links))!.path)).length, 1, 'expired files are deleted too');
    links.close();
  });

  it('a source that fails mid-way: track rejects as the run did, and the partial file is deleted', async () => {
    const links = new DownloadLinks({ encoders: new FakeEncoders(), tmpDir: tmp });
    const rec = links.begin('pcm')!;
    const deps = rec.wrap({ source: new FakeSource({ chunks: 4, failAfter: 2 }), admission: new FakeAdmission(), encoders: new FakeEncoders(), encoderAttempts: 1 });
    const run = (async () => {
      for await (const ev of deps.source.synthesize(job, new AbortController().signal)) void ev;
    })();
    await assert.rejects(rec.track(run), /engine failed/);
    const name = rec.downloadPath.slice('/download/'.length);
    assert.equal(links.lookup(name), undefined);
    await new Promise((r) => setTimeout(r, 50)); // the file stream closes, then it is unlinked again
    const dir = readdirSync(tmp).find((d) => d.startsWith('kokoro-downloads-'));
    assert.deepEqual(dir ? readdirSync(join(tmp, dir)) : [], []);
    links.close();
  });

  it('the folder of a gateway that died without cleaning up goes when the next one makes its own', async () => {
    const dead = join(tmp, 'kokoro-downloads-999999999-abcdef'); // no such PID
    mkdirSync(dead, { mode: 0o700 });
    writeFileSync(join(dead, 'old.wav'), 'x');
    const links = new DownloadLinks({ encoders: new FakeEncoders(), tmpDir: tmp });
    await record(links);
    assert.equal(existsSync(dead), false);
    links.close();
  });

  it('every slot taken by files still being written: no link (the speech goes on without)', () => {
    const links = new DownloadLinks({ encoders: new FakeEncoders(), tmpDir: tmp, maxFiles: 1 });
    assert.ok(links.begin('pcm'));
    assert.equal(links.begin('pcm'), null);
    links.close();
  });
});
