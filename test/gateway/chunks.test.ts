// The chunk layer (gateway/chunks) against fake engines speaking /plan and /infer, run by a real
// Supervisor: order, parallel chunks, fairness, per-chunk resume, re-planning, request errors,
// bounded attempts, no engine, cache tiers, single flight, abort. (Ports pool.test.ts's cases.)
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { encodeChunkStart, encodeError } from '../../protocol/engine-wire.js';
import { ChunkCache, chunkKey } from '../../gateway/chunks/cache.js';
import { ChunkSource } from '../../gateway/chunks/source.js';
import { loadSupervisionConfig } from '../../gateway/engines/config.js';
import type { Supervisor } from '../../gateway/engines/supervisor.js';
import { toApiError } from '../../gateway/http/error-handling.js';
import { createMetrics, type GatewayMetrics } from '../../gateway/metrics.js';
import type { SpeechEvent, SpeechJob } from '../../gateway/speech/types.js';
import {
  FAKE_MODEL, fakeAudio, fakePlan, protocolEngine, spyLender, superviseFakes, type ProtocolEngine, type ProtocolEngineOptions,
} from './fake-engines.js';

const TEXT = 'One. Two two. Three three three. Four four. Five five five five. Six.';
const N = fakePlan(TEXT).length;
const http = (e: unknown) => toApiError(e, 0);
const config = loadSupervisionConfig({ ENGINES: '1', STALL_TIMEOUT_MS: '300', ENGINE_WAIT_MS: '200', MAX_ATTEMPTS: '3', HEALTH_INTERVAL_MS: '50' }, []);

const engines: ProtocolEngine[] = [];
const supervisors: Supervisor[] = [];
const sources: ChunkSource[] = [];
const dirs: string[] = [];
after(async () => {
  sources.forEach((s) => s.scheduler.dispose());
  await Promise.all(supervisors.map((s) => s.stop()));
  engines.forEach((e) => {
    e.server.closeAllConnections();
    e.server.close();
  });
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

interface Setup {
  lookahead?: number;
  cacheMb?: number;
  cache?: ChunkCache;
  chunkSlots?: number;
  ready?: number;
}

async function setup(opts: Record<string, ProtocolEngineOptions>, s: Setup = {}) {
  const es = await Promise.all(Object.entries(opts).map(([id, o]) => protocolEngine(id, o)));
  engines.push(...es);
  const sup = await superviseFakes(config, es, s.ready ?? es.length, s.chunkSlots ?? 1);
  supervisors.push(sup);
  const lender = spyLender(sup);
  const metrics = createMetrics();
  const cache = s.cache ?? new ChunkCache({ memoryBytes: (s.cacheMb ?? 0) * 1024 * 1024, metrics });
  const source = new ChunkSource({ engines: lender, config, lookaheadChunks: s.lookahead ?? 4, cache, log: () => {}, metrics });
  sources.push(source);
  return { es, sup, lender, source, cache, metrics, e: Object.fromEntries(es.map((x) => [x.id, x])) as Record<string, ProtocolEngine> };
}

const job = (text = TEXT, requestId = 'r1'): SpeechJob => ({ requestId, text, voice: 'af_heart', speed: 1 });

/** Events until the end, or the error with the events seen before it. */
async function collect(source: ChunkSource, j = job(), signal = new AbortController().signal): Promise<SpeechEvent[]> {
  const out: SpeechEvent[] = [];
  for await (const ev of source.synthesize(j, signal)) out.push(ev);
  return out;
}

function assertAudio(events: SpeechEvent[], text = TEXT): void {
  const want = fakeAudio(text);
  const audio = events.filter((e) => e.type === 'audio');
  assert.deepEqual(audio.map((e) => e.chunk), want.map((_, i) => i), 'each chunk exactly once, in order');
  audio.forEach((e, i) => assert.deepEqual(e.samples, want[i], `chunk ${i} samples`));
  const plan = fakePlan(text);
  assert.deepEqual(events.at(-1), {
    type: 'end', chunks: plan.length, samples: want.reduce((n, s) => n + s.length, 0), inputTokens: plan.reduce((n, c) => n + c.tokens.length, 0),
  });
}

const indexes = (e: ProtocolEngine) => e.infers.map((r) => r.chunks[0]!.index);
const metric = async (m: GatewayMetrics, name: string, labels: Record<string, string> = {}) => {
  const v = (await m.registry.getSingleMetric(name)!.get()).values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return v?.value ?? 0;
};

test('chunks are delivered strictly in order even when engines finish out of order', async () => {
  // Chunk 0 is slow, the rest fast: chunk 1 finishes long before chunk 0.
  const slow = { chunkMs: (c: { index: number }) => (c.index === 0 ? 200 : 10) };
  const { source, e } = await setup({ a: slow, b: slow });
  assertAudio(await collect(source));
  const at = (k: number) => [e.a!, e.b!].map((x) => x.doneAt[x.done.indexOf(k)]).find((t) => t !== undefined)!;
  assert.ok(at(1) < at(0), 'chunk 1 finished before chunk 0');
});

test('a lone request keeps both idle engines busy (lookahead); PARALLEL_CHUNKS=0 runs one chunk at a time', async () => {
  const ms = 80;
  {
    const { source, e } = await setup({ a: { chunkMs: ms }, b: { chunkMs: ms } });
    assertAudio(await collect(source));
    // Without lookahead every chunk would go to the first engine (least loaded, ties to the first);
    // that two chunks ran at the same time is pinned on job logs in chunks-schedule.test.ts.
    assert.ok(e.a!.infers.length >= 2 && e.b!.infers.length >= 2, `both engines worked: a ${e.a!.infers.length}, b ${e.b!.infers.length}`);
  }
  {
    const { source } = await setup({ a: { chunkMs: ms }, b: { chunkMs: ms } }, { lookahead: 0 });
    const t0 = Date.now();
    assertAudio(await collect(source));
    assert.ok(Date.now() - t0 >= N * ms, 'one chunk at a time');
  }
});

test('fairness: a new request\'s first chunk goes before another request\'s lookahead', async () => {
  const { source, e, sup } = await setup({ a: { chunkMs: 100 }, b: { chunkMs: 100 } });
  const first = collect(source, job(TEXT, 'A'));
  // Both engines busy with A's chunks 0 and 1 (A has lookahead queued behind them).
  while (sup.rows().reduce((n, r) => n + r.inFlight, 0) < 2) await new Promise((r) => setTimeout(r, 5));
  const second = collect(source, job('Seven. Eight.', 'B'));
  const [ra, rb] = await Promise.all([first, second]);
  assertAudio(ra);
  assertAudio(rb, 'Seven. Eight.');
  const order = [...e.a!.infers, ...e.b!.infers].map((r) => `${r.requestId}${r.chunks[0]!.index}`);
  const all = [...e.a!.infers.map((r, i) => ({ r, i })), ...e.b!.infers.map((r, i) => ({ r, i }))];
  // The third dispatch overall is B's chunk 0: the chunk after the first two on either engine.
  const third = all.filter(({ i }) => i === 1).map(({ r }) => `${r.requestId}${r.chunks[0]!.index}`);
  assert.ok(third.includes('B0'), `B0 went right after the first two chunks: ${order.join(' ')}`);
});

test('fairness under load: with one engine, two requests alternate chunk by chunk', async () => {
  const { source, e, sup } = await setup({ a: { chunkMs: 40 } });
  const first = collect(source, job(TEXT, 'A'));
  while (sup.rows()[0]!.inFlight < 1) await new Promise((r) => setTimeout(r, 5));
  const second = collect(source, job('Seven. Eight. Nine.', 'B'));
  await Promise.all([first, second]);
  const order = e.a!.infers.map((r) => `${r.requestId}${r.chunks[0]!.index}`);
  assert.deepEqual(order.slice(0, 6), ['A0', 'B0', 'A1', 'B1', 'A2', 'B2'], order.join(' '));
});

test('an engine killed mid-chunk: that chunk re-runs elsewhere and the output equals the unfaulted one', async () => {
  let held: { release(): void } | undefined;
  const { source, e, lender, sup } = await setup({
    a: {
      onInfer: (r, res) => {
        held?.release(); // chunk 0 is on a now: let b take the rest (and the re-run)
        if (r.chunks[0]!.index !== 0) return false;
        res.write(encodeChunkStart(0, 1, 3));
        setTimeout(() => res.destroy(), 20);
        return true;
      },
    },
    b: { chunkMs: 10 },
  });
  held = sup.leaseChunk('a')!; // b's only chunk slot: chunk 0 goes to a
  assertAudio(await collect(source));
  assert.deepEqual(lender.ejected, ['a']);
  assert.equal(indexes(e.a!)[0], 0);
  assert.ok(indexes(e.b!).includes(0), 'chunk 0 re-ran on b');
});

test('a stalled engine is killed and the chunk completes on another', async () => {
  const { source, e, lender, sup } = await setup({
    a: { onInfer: (r, res) => (r.chunks[0]!.index === 0 ? (res.write(encodeChunkStart(0, 1, 3)), true) : false) },
    b: { chunkMs: 10 },
  });
  const held = sup.leaseChunk('a')!;
  setTimeout(() => held.release(), 50);
  assertAudio(await collect(source));
  assert.deepEqual(lender.killed, ['a']);
  assert.ok(indexes(e.b!).includes(0));
});

test('a request error (bad voice) is not retried', async () => {
  const bad = { onInfer: (_r: unknown, res: import('node:http').ServerResponse) => (res.end(encodeError({ code: 'invalid_voice', message: 'unknown voice', param: 'voice' })), true) };
  const { source, e } = await setup({ a: bad, b: bad });
  await assert.rejects(collect(source), (err: unknown) => http(err).status === 400 && http(err).param === 'voice');
  const all = [...indexes(e.a!), ...indexes(e.b!)];
  assert.equal(new Set(all).size, all.length, `no chunk tried twice: ${all}`);
});

test('attempts are bounded: when every engine fails, 503 after MAX_ATTEMPTS tries of a chunk', async () => {
  const dies = { onInfer: (_r: unknown, res: import('node:http').ServerResponse) => (res.destroy(), true) };
  const { source, es } = await setup({ a: dies, b: dies, c: dies, d: dies }, { lookahead: 0 });
  await assert.rejects(collect(source), (err: unknown) => http(err).status === 503 && http(err).retryAfter !== undefined);
  assert.equal(es.flatMap(indexes).filter((i) => i === 0).length, 3);
});

test('no ready engine within ENGINE_WAIT_MS: 503 with Retry-After', async () => {
  const { source } = await setup({ a: { healthy: false } }, { ready: 0 });
  const t0 = Date.now();
  await assert.rejects(collect(source), (err: unknown) => http(err).status === 503 && (http(err).retryAfter ?? 0) >= 1);
  assert.ok(Date.now() - t0 >= 150);
});

test('engines that are ready but full make a request wait, not fail', async () => {
  const { source, sup } = await setup({ a: {} });
  const held = sup.leaseChunk()!;
  setTimeout(() => held.release(), 400); // longer than ENGINE_WAIT_MS
  assertAudio(await collect(source));
});

test('a plan stream failing midway: re-planned elsewhere, the identical prefix continues', async () => {
  const { source, sup, lender, e } = await setup({ a: { planCut: 2 }, b: {} });
  const held = sup.lease('a')!; // b has a plan in flight: the planner picks a first
  const events = await collect(source);
  held.release();
  assertAudio(events);
  assert.equal(e.a!.plans.length, 1);
  assert.equal(e.b!.plans.length, 1);
  assert.deepEqual(lender.ejected, ['a']);
});

test('a re-plan that differs from the chunks already used fails the request (502), never splices', async () => {
  const other = (text: string) => fakePlan(text).map((c) => ({ ...c, tokens: c.index === 1 ? [...c.tokens, 7] : c.tokens }));
  const { source, sup } = await setup({ a: { planCut: 3, chunkMs: 5 }, b: { planFor: other } });
  const held = sup.lease('a')!;
  const seen: SpeechEvent[] = [];
  await assert.rejects(async () => {
    for await (const ev of source.synthesize(job(), new AbortController().signal)) seen.push(ev);
  }, (err: unknown) => http(err).status === 502 && http(err).code === 'plan_mismatch');
  held.release();
  assert.ok(seen.every((ev) => ev.type === 'audio' && ev.chunk < 3), 'only chunks of the first plan were delivered');
});

test('cache: a repeated request never touches an engine, even with every engine down; metrics move', async () => {
  const { source, es, metrics, sup } = await setup({ a: {}, b: {} }, { cacheMb: 16 });
  assertAudio(await collect(source));
  const calls = () => es.reduce((n, x) => n + x.plans.length + x.infers.length, 0);
  const before = calls();
  assert.equal(await metric(metrics, 'kokoro_cache_misses_total'), N);
  assertAudio(await collect(source));
  assert.equal(calls(), before, 'no /plan nor /infer for a cached request');
  assert.equal(await metric(metrics, 'kokoro_cache_hits_total', { tier: 'memory' }), N);
  assert.ok((await metric(metrics, 'kokoro_cache_bytes', { tier: 'memory' })) > 0);
  // Every engine down.
  for (const x of es) {
    x.server.closeAllConnections();
    x.server.close();
  }
  while (sup.readyCount() > 0) await new Promise((r) => sup.once('change', r));
  assertAudio(await collect(source));
});

test('cache: LRU eviction by bytes; a get refreshes an entry', () => {
  const metrics = createMetrics();
  const chunk = (v: number) => new Int16Array(100).fill(v); // 200 bytes
  const cache = new ChunkCache({ memoryBytes: 600, metrics });
  cache.put('k1', chunk(1));
  cache.put('k2', chunk(2));
  cache.put('k3', chunk(3));
  return (async () => {
    assert.ok(await cache.get('k1')); // k1 now most recent: k2 is the oldest
    cache.put('k4', chunk(4));
    assert.equal(await cache.get('k2'), undefined, 'k2 evicted');
    assert.ok(await cache.get('k1'));
    assert.deepEqual(cache.stats().memoryBytes, 600);
    assert.equal(await metric(metrics, 'kokoro_cache_evictions_total', { tier: 'memory' }), 1);
    cache.put('big', new Int16Array(1000)); // larger than the whole tier: not stored, nothing evicted
    assert.equal(await cache.get('big'), undefined);
  })();
});

test('cache: the disk tier survives a new cache instance; a corrupt entry is ignored and removed', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'kokoro-cache-test-')), 'tier');
  dirs.push(join(dir, '..'));
  const key = chunkKey({ model: FAKE_MODEL, voice: 'af_heart*1', speed: 1, lang: 'en-us', tokens: [1, 2, 3] });
  const key2 = chunkKey({ model: FAKE_MODEL, voice: 'af_heart*1', speed: 1, lang: 'en-us', tokens: [4] });
  const samples = Int16Array.from({ length: 500 }, (_, i) => i * 3);
  const one = new ChunkCache({ memoryBytes: 1 << 20, dir, diskBytes: 1 << 20 });
  one.put(key, samples);
  one.put(key2, samples);
  while (readdirSync(dir).filter((f) => f.endsWith('.pcm')).length < 2) await new Promise((r) => setTimeout(r, 5));
  assert.equal(statSync(dir).mode & 0o777, 0o700, 'private directory');
  const metrics = createMetrics();
  const two = new ChunkCache({ memoryBytes: 1 << 20, dir, diskBytes: 1 << 20, metrics });
  assert.deepEqual(await two.get(key), samples);
  assert.equal(await metric(metrics, 'kokoro_cache_hits_total', { tier: 'disk' }), 1);
  // Corrupt the second entry: one flipped sample byte.
  const f = join(dir, `${key2}.pcm`);
  const buf = readFileSync(f);
  buf[buf.length - 1] ^= 0xff;
  writeFileSync(f, buf);
  const three = new ChunkCache({ memoryBytes: 1 << 20, dir, diskBytes: 1 << 20 });
  assert.equal(await three.get(key2), undefined);
  assert.ok(!readdirSync(dir).includes(`${key2}.pcm`), 'corrupt file removed');
  // Disk LRU by size: a tier that holds one entry keeps the newest.
  const small = new ChunkCache({ memoryBytes: 1 << 20, dir, diskBytes: 1100 });
  assert.equal(small.stats().diskEntries, 1);
});

test('single flight: four identical requests at once cost one /infer per chunk', async () => {
  const { source, es, metrics } = await setup({ a: { chunkMs: 40 }, b: { chunkMs: 40 } }, { cacheMb: 16 });
  const results = await Promise.all([1, 2, 3, 4].map((k) => collect(source, job(TEXT, `r${k}`))));
  results.forEach((r) => assertAudio(r));
  const infers = es.flatMap(indexes);
  assert.equal(infers.length, N, `one synthesis per chunk: ${infers}`);
  const shared = await metric(metrics, 'kokoro_chunks_shared_total');
  const hits = await metric(metrics, 'kokoro_cache_hits_total', { tier: 'memory' });
  assert.equal(shared + hits, 3 * N, 'the other three requests joined or hit');
});

test('abort cancels only that request\'s work; a synthesis shared with another request continues', async () => {
  const { source, es, sup } = await setup({ a: { chunkMs: 100 }, b: { chunkMs: 100 } }, { cacheMb: 16 });
  // Distinct texts: A's in-flight chunks are aborted at the engine, B completes.
  const ac = new AbortController();
  const a = collect(source, job(TEXT, 'A'), ac.signal);
  const b = collect(source, job('Seven. Eight. Nine.', 'B'));
  setTimeout(() => ac.abort(new Error('client gone')), 50);
  await assert.rejects(a, /client gone/);
  assertAudio(await b, 'Seven. Eight. Nine.');
  assert.ok(es.reduce((n, x) => n + x.aborted, 0) >= 1, 'A\'s running chunk was cancelled at the engine');
  while (sup.rows().some((r) => r.inFlight > 0)) await new Promise((r) => setTimeout(r, 5));
  const infersBefore = es.flatMap((x) => x.infers).length;
  // Identical texts: A leaves, B still gets every chunk and nothing shared was cancelled.
  const ac2 = new AbortController();
  const text = 'Ten. Eleven. Twelve. Thirteen.';
  const a2 = collect(source, job(text, 'A2'), ac2.signal);
  const b2 = collect(source, job(text, 'B2'));
  setTimeout(() => ac2.abort(new Error('client gone')), 50);
  await assert.rejects(a2, /client gone/);
  const abortedBefore = es.reduce((n, x) => n + x.aborted, 0);
  assertAudio(await b2, text);
  assert.equal(es.flatMap((x) => x.infers).length - infersBefore, fakePlan(text).length, 'each chunk synthesized once');
  assert.equal(es.reduce((n, x) => n + x.aborted, 0), abortedBefore);
});
