// The engine pool's resume logic against fake engines speaking the real frame protocol.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { encodeAudio, encodeChunkStart, encodeEnd, encodeError, type SynthesizeRequest } from '../../protocol/engine-wire.js';
import { loadSupervisionConfig } from '../../gateway/engines/config.js';
import { EngineClient } from '../../gateway/engines/engine-client.js';
import { EnginePool } from '../../gateway/engines/pool.js';
import { Engine, type Supervisor } from '../../gateway/engines/supervisor.js';
import { ApiError } from '../../gateway/errors.js';
import type { SpeechEvent } from '../../gateway/types.js';

const CHUNKS = 5;
const samplesOf = (k: number) => Int16Array.from({ length: 100 + k }, (_, i) => k * 1000 + i);
type Behaviour = (req: SynthesizeRequest, res: ServerResponse) => void;

const servers: Server[] = [];
after(() => servers.forEach((s) => s.closeAllConnections?.() ?? s.close()));

async function fakeEngine(id: string, behaviour: Behaviour, seen: SynthesizeRequest[]): Promise<Engine> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const parsed = JSON.parse(body) as SynthesizeRequest;
      seen.push(parsed);
      res.writeHead(200, { 'content-type': 'application/x-kokoro-frames' });
      behaviour(parsed, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  const e = new Engine({ id, kind: 'remote', device: 'cpu', threads: 1, maxInFlight: 4 }, 100);
  e.client = new EngineClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  e.state = 'ready';
  return e;
}

/** Serves chunks from fromChunk; `cut` stops after that many chunks by destroying the socket. */
const serve = (cut?: number, mode: 'destroy' | 'hang' = 'destroy'): Behaviour => (req, res) => {
  let sent = 0;
  for (let k = req.fromChunk ?? 0; k < CHUNKS; k++) {
    if (cut !== undefined && sent === cut) {
      // Let the chunks already written reach the client, then die (or hang: no end frame).
      if (mode === 'destroy') setTimeout(() => res.destroy(), 50);
      return;
    }
    res.write(encodeChunkStart(k, CHUNKS, 10));
    res.write(encodeAudio(k, samplesOf(k)));
    sent++;
  }
  res.end(encodeEnd(CHUNKS, 0, 50));
};

function fakeSupervisor(engines: Engine[]) {
  const events = Object.assign(new EventEmitter(), {
    engines,
    killed: [] as string[],
    ejected: [] as string[],
    kill(e: Engine) {
      this.killed.push(e.spec.id);
      e.state = 'unhealthy';
    },
    eject(e: Engine) {
      this.ejected.push(e.spec.id);
      e.state = 'unhealthy';
    },
  });
  return events;
}

async function collect(pool: EnginePool): Promise<SpeechEvent[]> {
  const out: SpeechEvent[] = [];
  for await (const ev of pool.synthesize({ requestId: 'r1', text: 'x', voice: 'af_heart', speed: 1 }, new AbortController().signal)) out.push(ev);
  return out;
}

const config = loadSupervisionConfig({ ENGINES: '1', STALL_TIMEOUT_MS: '300', ENGINE_WAIT_MS: '200', MAX_ATTEMPTS: '3' }, []);

test('an engine that dies mid-stream: the request resumes elsewhere at the first missing chunk', async () => {
  const seenA: SynthesizeRequest[] = [];
  const seenB: SynthesizeRequest[] = [];
  const a = await fakeEngine('a', serve(2), seenA);
  const b = await fakeEngine('b', serve(), seenB);
  b.inFlight = 1; // so the pool picks a first
  const sup = fakeSupervisor([a, b]);
  const pool = new EnginePool(sup as unknown as Supervisor, config, () => {});
  const events = await collect(pool);
  const audio = events.filter((e) => e.type === 'audio');
  assert.deepEqual(audio.map((e) => e.chunk), [0, 1, 2, 3, 4], 'each chunk exactly once, in order');
  for (const e of audio) assert.deepEqual(e.samples, samplesOf(e.chunk));
  assert.deepEqual(events.at(-1), { type: 'end', chunks: CHUNKS, samples: audio.reduce((n, e) => n + e.samples.length, 0), inputTokens: 50 });
  assert.equal(seenB[0]?.fromChunk, 2);
  assert.deepEqual(sup.ejected, ['a']);
});

test('a stalled engine is killed and the request completes on another', async () => {
  const a = await fakeEngine('a', serve(1, 'hang'), []);
  const seenB: SynthesizeRequest[] = [];
  const b = await fakeEngine('b', serve(), seenB);
  b.inFlight = 1;
  const sup = fakeSupervisor([a, b]);
  const events = await collect(new EnginePool(sup as unknown as Supervisor, config, () => {}));
  assert.deepEqual(events.filter((e) => e.type === 'audio').map((e) => e.chunk), [0, 1, 2, 3, 4]);
  assert.deepEqual(sup.killed, ['a']);
  assert.equal(seenB[0]?.fromChunk, 1);
});

test('a request error (bad voice) is not retried', async () => {
  const seen: SynthesizeRequest[] = [];
  const bad: Behaviour = (_req, res) => res.end(encodeError({ code: 'invalid_voice', message: 'unknown voice', param: 'voice' }));
  const a = await fakeEngine('a', bad, seen);
  const b = await fakeEngine('b', bad, seen);
  const pool = new EnginePool(fakeSupervisor([a, b]) as unknown as Supervisor, config, () => {});
  await assert.rejects(collect(pool), (e: ApiError) => e.status === 400 && e.param === 'voice');
  assert.equal(seen.length, 1);
});

test('attempts are bounded: when every engine fails, 503', async () => {
  const seen: SynthesizeRequest[] = [];
  const engines = await Promise.all(['a', 'b', 'c', 'd'].map((id) => fakeEngine(id, serve(0), seen)));
  const pool = new EnginePool(fakeSupervisor(engines) as unknown as Supervisor, config, () => {});
  await assert.rejects(collect(pool), (e: ApiError) => e.status === 503 && e.retryAfter !== undefined);
  assert.equal(seen.length, 3);
});

test('no ready engine within ENGINE_WAIT_MS: 503 with Retry-After', async () => {
  const a = await fakeEngine('a', serve(), []);
  a.state = 'restarting';
  const pool = new EnginePool(fakeSupervisor([a]) as unknown as Supervisor, config, () => {});
  const t0 = Date.now();
  await assert.rejects(collect(pool), (e: ApiError) => e.status === 503 && (e.retryAfter ?? 0) >= 1);
  assert.ok(Date.now() - t0 >= 150);
});

test('engines that are ready but full make a request wait, not fail', async () => {
  const a = await fakeEngine('a', serve(), []);
  a.inFlight = 4; // at its cap
  const pool = new EnginePool(fakeSupervisor([a]) as unknown as Supervisor, config, () => {});
  setTimeout(() => {
    a.inFlight = 0; // a slot frees up after more than ENGINE_WAIT_MS (200 ms)
  }, 400);
  const events = await collect(pool);
  assert.equal(events.filter((e) => e.type === 'audio').length, CHUNKS);
});
