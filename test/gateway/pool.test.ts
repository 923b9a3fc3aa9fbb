// The engine pool's resume logic against fake engines speaking the real frame protocol.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, test } from 'node:test';
import { encodeAudio, encodeChunkStart, encodeEnd, encodeError, type SynthesizeRequest } from '../../protocol/engine-wire.js';
import { loadSupervisionConfig } from '../../gateway/engines/config.js';
import { EnginePool } from '../../gateway/engines/pool.js';
import type { Supervisor } from '../../gateway/engines/supervisor.js';
import { toApiError } from '../../gateway/http/error-handling.js';
import type { SpeechEvent } from '../../gateway/speech/types.js';
import { fakeEngine as startFake, spyLender, superviseFakes, type Behaviour } from './fake-engines.js';

const CHUNKS = 5;
const samplesOf = (k: number) => Int16Array.from({ length: 100 + k }, (_, i) => k * 1000 + i);
/** What the client would see. */
const http = (e: unknown) => toApiError(e, 0);

const servers: Server[] = [];
const supervisors: Supervisor[] = [];
after(async () => {
  await Promise.all(supervisors.map((s) => s.stop()));
  servers.forEach((s) => s.closeAllConnections?.() ?? s.close());
});

async function fakeEngine(id: string, behaviour: Behaviour, seen: SynthesizeRequest[], healthy = true) {
  const e = await startFake(id, behaviour, seen, healthy);
  servers.push(e.server);
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

/** A real supervisor over the fake engines; the pool talks to it through a spy. */
async function fakeSupervisor(engines: Awaited<ReturnType<typeof fakeEngine>>[], ready = engines.length) {
  const sup = await superviseFakes(config, engines, ready);
  supervisors.push(sup);
  return { sup, lender: spyLender(sup) };
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
  const { sup: real, lender: sup } = await fakeSupervisor([a, b]);
  const held = real.lease('a')!; // b has a request in flight, so the pool picks a first
  const pool = new EnginePool(sup, config, () => {});
  const events = await collect(pool);
  held.release();
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
  const { sup: real, lender: sup } = await fakeSupervisor([a, b]);
  const held = real.lease('a')!;
  const events = await collect(new EnginePool(sup, config, () => {}));
  held.release();
  assert.deepEqual(events.filter((e) => e.type === 'audio').map((e) => e.chunk), [0, 1, 2, 3, 4]);
  assert.deepEqual(sup.killed, ['a']);
  assert.equal(seenB[0]?.fromChunk, 1);
});

test('a request error (bad voice) is not retried', async () => {
  const seen: SynthesizeRequest[] = [];
  const bad: Behaviour = (_req, res) => res.end(encodeError({ code: 'invalid_voice', message: 'unknown voice', param: 'voice' }));
  const a = await fakeEngine('a', bad, seen);
  const b = await fakeEngine('b', bad, seen);
  const pool = new EnginePool((await fakeSupervisor([a, b])).lender, config, () => {});
  await assert.rejects(collect(pool), (e: unknown) => http(e).status === 400 && http(e).param === 'voice');
  assert.equal(seen.length, 1);
});

test('attempts are bounded: when every engine fails, 503', async () => {
  const seen: SynthesizeRequest[] = [];
  const engines = await Promise.all(['a', 'b', 'c', 'd'].map((id) => fakeEngine(id, serve(0), seen)));
  const pool = new EnginePool((await fakeSupervisor(engines)).lender, config, () => {});
  await assert.rejects(collect(pool), (e: unknown) => http(e).status === 503 && http(e).retryAfter !== undefined);
  assert.equal(seen.length, 3);
});

test('no ready engine within ENGINE_WAIT_MS: 503 with Retry-After', async () => {
  const a = await fakeEngine('a', serve(), [], false); // its health checks fail: never ready
  const pool = new EnginePool((await fakeSupervisor([a], 0)).lender, config, () => {});
  const t0 = Date.now();
  await assert.rejects(collect(pool), (e: unknown) => http(e).status === 503 && (http(e).retryAfter ?? 0) >= 1);
  assert.ok(Date.now() - t0 >= 150);
});

test('engines that are ready but full make a request wait, not fail', async () => {
  const a = await fakeEngine('a', serve(), []);
  const { sup, lender } = await fakeSupervisor([a]);
  const held = [1, 2, 3, 4].map(() => sup.lease()!); // at its cap
  const pool = new EnginePool(lender, config, () => {});
  setTimeout(() => {
    held.forEach((l) => l.release()); // slots free up after more than ENGINE_WAIT_MS (200 ms)
  }, 400);
  const events = await collect(pool);
  assert.equal(events.filter((e) => e.type === 'audio').length, CHUNKS);
});
