// Synthesis decoupled from delivery, end to end: a real gateway process over two fast fake
// engines (harness/fake-engine.ts, loopback). Clients that never read, read at a trickle, or ask
// for huge whole files must not hold admission slots or engines, must not restart an engine, and
// must not starve anyone; a stalled client is disconnected after CLIENT_STALL_MS and its
// spill files closed; a whole file is sent from disk with its exact Content-Length; an input
// whose audio would be too long is a 413 before any work.
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startGateway, type GatewayProcess } from '../../harness/gateway-process.js';
import { startFakeEngine, fakeEnginePlan, fakeEngineSamples, type FakeEngineServer } from '../../harness/fake-engine.js';
import { sleep } from '../../harness/procs.js';

const STALL_MS = 1500;

/** A raw client: sends one request, reads the status line and headers, then stops reading. */
async function pausedClient(port: number, body: object): Promise<{ socket: Socket; head: string; closed: Promise<number>; drain: () => Promise<Buffer> }> {
  const socket = connect(port, '127.0.0.1');
  const json = JSON.stringify(body);
  socket.write(`POST /v1/audio/speech HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
  const t0 = Date.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - t0)));
  socket.on('error', () => {});
  const head = await new Promise<string>((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer) => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      if (end >= 0) {
        socket.off('data', onData);
        socket.pause(); // from here on nothing is read: the kernel buffers fill, then the window closes
        resolve(got.slice(0, end));
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed before headers: ${got.slice(0, 200)}`)));
  });
  // Reads what is left (the server cut the connection: a paused socket cannot see it before).
  const drain = () => new Promise<Buffer>((resolve) => {
    const parts: Buffer[] = [];
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.once('close', () => resolve(Buffer.concat(parts)));
    socket.resume();
  });
  return { socket, head, closed, drain };
}

/** Polls a metric until it reaches `n`; the ms it took, or -1 after `limitMs`. */
async function metricReaches(gw: GatewayProcess, name: string, n: number, limitMs: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitMs) {
    if ((await gw.metric(name)) >= n) return Date.now() - t0;
    await sleep(100);
  }
  return -1;
}

/** A long text of distinct sentences (the chunk cache is off anyway). */
function text(chars: number, seed: number): string {
  let s = '';
  for (let i = 0; s.length < chars; i++) s += `Sentence ${seed}-${i} goes on about nothing much at all. `;
  return s.slice(0, chars);
}

/** Spill files the gateway holds open (unlinked, so "(deleted)"). */
function openSpillFiles(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (/spill-[0-9a-f]+ \(deleted\)$/.test(readlinkSync(`/proc/${pid}/fd/${fd}`))) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

describe('delivery decoupled from synthesis (real gateway, fast fake engines)', { timeout: 120_000 }, () => {
  let engines: FakeEngineServer[] = [];
  let gw: GatewayProcess;

  before(async () => {
    engines = [await startFakeEngine(), await startFakeEngine()];
    gw = await startGateway({
      engines: 0,
      readyWhen: 'all-engines',
      readyTimeoutMs: 60_000,
      env: {
        ENGINE_URLS: engines.map((e) => e.url).join(','),
        ENGINE_MAX_INFLIGHT: '2', // capacity 4: four paused clients used to take every slot
        CACHE_MB: '0',
        CLIENT_STALL_MS: String(STALL_MS),
        REQUEST_BUFFER_KB: '256',
        MAX_AUDIO_SECONDS: '3600',
        QUEUE_WAIT_MS: '30000',
        ENCODER_POOL: '0',
        LOG_LEVEL: 'warn',
      },
    });
  });

  after(async () => {
    await gw?.stop(10_000);
    for (const e of engines) await e.close();
  });

  it('four clients that never read hold no slot: others are served at once; the four are cut after CLIENT_STALL_MS', async () => {
    // 2,000 characters at speed 0.5: ~270 s of audio, 13 MB of wav each, far more than the socket buffers.
    const paused = await Promise.all([0, 1, 2, 3].map((k) =>
      pausedClient(gw.port, { model: 'tts-1', voice: 'af_heart', input: text(2000, k), response_format: k % 2 ? 'wav' : 'pcm', speed: 0.5 })));
    const pausedAt = Date.now();
    for (const p of paused) assert.match(p.head, /^HTTP\/1\.1 200/);
    const spillsWhilePaused = await (async () => {
      for (let i = 0; i < 40; i++) {
        const n = openSpillFiles(gw.pid);
        if (n > 0) return n;
        await sleep(50);
      }
      return 0;
    })();
    assert.ok(spillsWhilePaused > 0, 'the paused responses went beyond REQUEST_BUFFER_KB into spill files');

    // Five more requests while the four are paused: each is served within seconds (no 429 after 30 s).
    for (let k = 0; k < 5; k++) {
      const t0 = Date.now();
      const r = await fetch(`${gw.url}/v1/audio/speech`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tts-1', voice: 'af_heart', input: text(300, 100 + k), response_format: 'pcm' }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = Buffer.from(await r.arrayBuffer());
      const ms = Date.now() - t0;
      assert.equal(r.status, 200);
      assert.ok(body.length > 0);
      assert.ok(ms < 3000, `served in ${ms} ms`);
    }

    // The paused ones are disconnected after CLIENT_STALL_MS of no progress (plus the time the socket buffers took).
    const ms = await metricReaches(gw, 'kokoro_client_stalls_total', 4, STALL_MS + 8000);
    assert.ok(ms > 0, 'the paused clients were never disconnected');
    assert.ok(Date.now() - pausedAt >= STALL_MS, 'cut before CLIENT_STALL_MS');
    assert.equal(await gw.metric('kokoro_client_stalls_total'), 4);
    // What each one still gets when it reads again is a cut stream, never a clean end.
    for (const p of paused) {
      const rest = await Promise.race([p.drain(), sleep(5000).then(() => null)]);
      assert.ok(rest !== null, 'the connection was not closed');
      assert.ok(!rest.subarray(-5).equals(Buffer.from('0\r\n\r\n')), 'a cut stream ended like a whole one');
    }
    assert.ok((await gw.metric('kokoro_request_spills_total')) >= 4);
    // Their buffers are gone: no spill file left open.
    for (let i = 0; i < 40 && openSpillFiles(gw.pid) > 0; i++) await sleep(50);
    assert.equal(openSpillFiles(gw.pid), 0);
    // Nothing in the engines waited on a client: no restart, no retry.
    const rows = await gw.engines();
    assert.ok(rows.every((e) => e.state === 'ready' && e.restarts === 0), JSON.stringify(rows));
    assert.equal(await gw.metric('kokoro_retries_total'), 0);
  });

  it('a client reading at a trickle keeps its connection (it makes progress) and holds no slot', async () => {
    const p = await pausedClient(gw.port, { model: 'tts-1', voice: 'af_heart', input: text(1500, 7), response_format: 'pcm', speed: 0.5 });
    let got = 0;
    // 16 KiB every 250 ms: about real time for pcm (48 KiB/s), far slower than the engines.
    const trickle = setInterval(() => {
      let b: Buffer | null;
      let n = 0;
      while (n < 16384 && (b = p.socket.read(Math.min(4096, 16384 - n)) as Buffer | null)) n += b.length;
      got += n;
    }, 250);
    try {
      const t0 = Date.now();
      const r = await fetch(`${gw.url}/v1/audio/speech`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tts-1', voice: 'af_heart', input: text(300, 200), response_format: 'wav' }),
        signal: AbortSignal.timeout(10_000),
      });
      await r.arrayBuffer();
      assert.equal(r.status, 200);
      assert.ok(Date.now() - t0 < 3000);
      const stillOpen = await Promise.race([p.closed.then(() => false), sleep(STALL_MS * 2.5).then(() => true)]);
      assert.ok(stillOpen, 'a client that keeps reading was cut');
      assert.ok(got > 0);
    } finally {
      clearInterval(trickle);
      p.socket.destroy();
    }
  });

  it('a huge whole file is sent from disk with its exact Content-Length and bytes; a client that never reads it is cut', async () => {
    const input = text(4000, 9); // ~270 s at speed 1: 13 MB of wav, far over REQUEST_BUFFER_KB
    const r = await fetch(`${gw.url}/v1/audio/speech`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tts-1', voice: 'af_heart', input, response_format: 'wav', stream: false }),
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(r.status, 200);
    const body = Buffer.from(await r.arrayBuffer());
    assert.equal(Number(r.headers.get('content-length')), body.length);
    const pcm = Buffer.concat(fakeEnginePlan(input).map((c) => {
      const s = fakeEngineSamples(c.tokens, 'af_heart', 1);
      return Buffer.from(s.buffer, s.byteOffset, s.byteLength);
    }));
    assert.equal(body.readUInt32LE(40), pcm.length, 'wav data size');
    assert.ok(body.subarray(44).equals(pcm), 'wav body is the engines\' samples, in order');

    const before = await gw.metric('kokoro_client_stalls_total');
    const p = await pausedClient(gw.port, { model: 'tts-1', voice: 'af_heart', input, response_format: 'wav', stream: false });
    const pausedAt = Date.now();
    const length = Number(/content-length: (\d+)/i.exec(p.head)?.[1]);
    assert.equal(length, body.length);
    assert.ok((await metricReaches(gw, 'kokoro_client_stalls_total', before + 1, STALL_MS + 8000)) > 0, 'a whole-file reader that never reads was not cut');
    assert.ok(Date.now() - pausedAt >= STALL_MS);
    const rest = await Promise.race([p.drain(), sleep(5000).then(() => null)]);
    assert.ok(rest !== null && rest.length < length, 'the cut whole file looked complete');
  });

  it('audio longer than MAX_AUDIO_SECONDS is a 413 audio_too_long before any work', async () => {
    const plansBefore = engines[0]!.stats.plans + engines[1]!.stats.plans;
    // 12,000 characters at speed 0.25 is estimated at 4,000 s > 3,600.
    const r = await fetch(`${gw.url}/v1/audio/speech`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tts-1', voice: 'af_heart', input: text(12_000, 11), response_format: 'wav', stream: false, speed: 0.25 }),
    });
    assert.equal(r.status, 413);
    const j = (await r.json()) as { error: { type: string; code: string; param: string; message: string } };
    assert.equal(j.error.type, 'invalid_request_error');
    assert.equal(j.error.code, 'audio_too_long');
    assert.equal(j.error.param, 'input');
    assert.match(j.error.message, /MAX_AUDIO_SECONDS/);
    assert.equal(engines[0]!.stats.plans + engines[1]!.stats.plans, plansBefore, 'no engine was asked to plan');
  });
});
