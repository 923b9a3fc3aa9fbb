// The chunk scheduler's placement rules, pinned against queue engines (harness/queue-engine.ts):
// fake engines whose one inference thread runs plan steps and inferences from one FIFO, as the
// real engine does. Assertions are on the engines' job logs (what ran where, in what order, and
// whether a job was queued behind another), never on how long anything took.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ChunkCache } from '../../gateway/chunks/cache.js';
import { PLAN_HOLD_CHUNKS } from '../../gateway/chunks/planner.js';
import { ChunkSource } from '../../gateway/chunks/source.js';
import { loadSupervisionConfig } from '../../gateway/engines/config.js';
import { Supervisor } from '../../gateway/engines/supervisor.js';
import type { SpeechEvent } from '../../gateway/speech/types.js';
import { queueEngine, type CostModel, type JobRecord, type QueueEngine } from '../../harness/queue-engine.js';
import type { PlannedChunk } from '../../protocol/engine-wire.js';

// A text is 'NAME n1 n2 ...': chunks of n1, n2, ... tokens (ids from the name, so texts differ).
function planFor(text: string): PlannedChunk[] {
  const [name, ...sizes] = text.split(' ');
  return sizes.map((n, index) => ({ index, tokens: Array.from({ length: Number(n) }, (_, k) => ((name!.charCodeAt(0) * 7 + index * 13 + k) % 170) + 1) }));
}

// 1 ms a token, 5 ms a call, 5 ms a plan step: a 100-token chunk takes ~105 ms of sleep.
const COST: CostModel = { callMs: 5, tokenMs: 1, planStepMs: 5, scale: 1 };
const config = loadSupervisionConfig({ ENGINES: '1', STALL_TIMEOUT_MS: '30000', CHUNK_TIMEOUT_MS: '30000', ENGINE_WAIT_MS: '5000', HEALTH_INTERVAL_MS: '1000' }, []);

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function rig(engines: number, opts: { lookahead?: number; planSlots?: boolean; cost?: CostModel; wideThreads?: number; wideWaitMs?: number } = {}) {
  const log: JobRecord[] = [];
  const es: QueueEngine[] = await Promise.all(Array.from({ length: engines }, (_, i) =>
    queueEngine(`e${i}`, { cost: opts.cost ?? COST, planFor, nameOf: (t) => t.split(' ')[0]!, log, wideThreads: opts.wideThreads })));
  const sup = new Supervisor({
    config: { ...config, slots: es.map((e) => ({ id: e.id, kind: 'remote' as const, device: 'cpu', threads: 1, url: e.url, maxInFlight: 2, chunkSlots: 1 })) },
    engineMain: '/nonexistent', engineEnv: {}, log: () => {},
  });
  sup.start();
  while (sup.readyCount() < es.length) await new Promise((r) => sup.once('change', r));
  const source = new ChunkSource({
    engines: sup, config, lookaheadChunks: opts.lookahead ?? 4, cache: new ChunkCache({ memoryBytes: 0 }), planSlots: opts.planSlots, log: () => {}, wideWaitMs: opts.wideWaitMs,
  });
  cleanups.push(async () => {
    source.scheduler.dispose();
    await sup.stop();
    await Promise.all(es.map((e) => e.close()));
  });
  const run = async (text: string): Promise<SpeechEvent[]> => {
    const out: SpeechEvent[] = [];
    for await (const ev of source.synthesize({ requestId: text.split(' ')[0]!, text, voice: 'af_heart', speed: 1 }, new AbortController().signal)) out.push(ev);
    return out;
  };
  /** Resolves once `n` inferences of `name` have started (by the engines' CHUNK frames: polled on the log's starts). */
  const started = async (pred: (j: JobRecord) => boolean, n = 1) => {
    while (log.filter(pred).length < n) await new Promise((r) => setTimeout(r, 2));
  };
  return { log, es, sup, source, run, started };
}

const infers = (log: JobRecord[], name?: string) => log.filter((j) => j.kind === 'infer' && (name === undefined || j.requestId === name));
const overlap = (a: JobRecord, b: JobRecord) => a.startedAt < b.endedAt && b.startedAt < a.endedAt;
const label = (j: JobRecord) => (j.kind === 'infer' ? `${j.requestId}${j.chunk}` : j.kind === 'plan' ? `P${j.requestId}${j.chunk}` : `D${j.requestId}`);
const order = (log: JobRecord[], engine: string) => log.filter((j) => j.engine === engine).sort((a, b) => a.startedAt - b.startedAt).map(label);
/** Plan steps that were queued on their engine while an inference was running there. */
const planBehindInference = (log: JobRecord[], name: string) => log.filter((p) => p.kind === 'plan' && p.requestId === name && p.chunk === 0 &&
  infers(log).some((j) => j.engine === p.engine && j.startedAt < p.queuedAt && p.queuedAt < j.endedAt));

function assertComplete(events: SpeechEvent[], text: string): void {
  const plan = planFor(text);
  const audio = events.filter((e) => e.type === 'audio');
  assert.deepEqual(audio.map((e) => e.chunk), plan.map((c) => c.index), 'every chunk once, in order');
  assert.equal(events.at(-1)?.type, 'end');
}

test('a lone request runs its chunks on both engines at once; with lookahead 0, one at a time', async () => {
  {
    const { log, run } = await rig(2);
    const text = 'A 40 100 100 100 100';
    assertComplete(await run(text), text);
    const a = infers(log, 'A');
    assert.equal(new Set(a.map((j) => j.engine)).size, 2, 'both engines ran chunks of A');
    assert.ok(a.some((x) => a.some((y) => x.engine !== y.engine && overlap(x, y))), `two chunks ran at the same time: e0 ${order(log, 'e0')}, e1 ${order(log, 'e1')}`);
  }
  {
    const { log, run } = await rig(2, { lookahead: 0 });
    const text = 'B 40 100 100 100';
    assertComplete(await run(text), text);
    const b = infers(log, 'B');
    assert.ok(!b.some((x) => b.some((y) => x !== y && overlap(x, y))), 'never two chunks of one request at once');
  }
});

test('two requests at once on two engines: each request starts on its own engine', async () => {
  const { log, run } = await rig(2);
  const [ta, tb] = ['A 60 100 100 100', 'B 60 100 100 100'];
  const [a, b] = await Promise.all([run(ta), run(tb)]);
  assertComplete(a, ta);
  assertComplete(b, tb);
  const first = ['e0', 'e1'].map((e) => order(log, e).find((l) => !l.startsWith('P') && !l.startsWith('D')));
  assert.deepEqual([...first].sort(), ['A0', 'B0'], `first chunk on each engine: ${first.join(', ')}`);
  for (const name of ['A', 'B']) assert.deepEqual(planBehindInference(log, name), [], `${name}'s plan did not wait behind an inference`);
});

test('a request arriving while another has both engines: its plan takes the first free slot, never queued behind an inference', async () => {
  // Without plan slots the plan queues behind whichever chunk its engine is running (the bug
  // bench:schedule measured: a whole chunk's wait, while the other engine could idle).
  for (const planSlots of [true, false]) {
    const { log, run, started } = await rig(2, { planSlots });
    const ta = 'A 40 200 200 200 200';
    const a = run(ta);
    // A alone: its lookahead holds both engines.
    await started((j) => j.kind === 'infer' && j.requestId === 'A' && j.chunk >= 1);
    const tb = 'B 40 100';
    const b = run(tb);
    assertComplete(await b, tb);
    assertComplete(await a, ta);
    const behind = planBehindInference(log, 'B');
    const where = `e0 ${order(log, 'e0')}; e1 ${order(log, 'e1')}`;
    if (planSlots) {
      assert.deepEqual(behind, [], `B's plan waited behind an inference: ${where}`);
      // Then B's first chunk goes before A's remaining lookahead, on the slot B's plan used or the next free one.
      const b0 = infers(log, 'B').find((j) => j.chunk === 0)!;
      const plan0 = log.find((j) => j.kind === 'plan' && j.requestId === 'B' && j.chunk === 0)!;
      assert.ok(!infers(log, 'A').some((j) => j.startedAt > plan0.endedAt && j.startedAt < b0.startedAt && j.engine === b0.engine), `B0 went first: ${where}`);
    } else {
      assert.equal(behind.length, 1, `the old rule queues B's plan behind A's chunk: ${where}`);
    }
  }
});

test('one engine: a new request\'s plan runs before the running request\'s next chunk, then the two alternate', async () => {
  const { log, run, started } = await rig(1);
  const ta = 'A 50 50 50 50';
  const a = run(ta);
  await started((j) => j.kind === 'infer' && j.requestId === 'A');
  const tb = 'B 50 50 50';
  const b = run(tb);
  assertComplete(await a, ta);
  assertComplete(await b, tb);
  const seq = order(log, 'e0');
  const chunks = seq.filter((l) => /^[AB]\d$/.test(l));
  assert.deepEqual(chunks.slice(0, 6), ['A0', 'B0', 'A1', 'B1', 'A2', 'B2'], seq.join(' '));
  assert.ok(seq.indexOf('PB0') < seq.indexOf('A1'), `B's first plan step before A1: ${seq.join(' ')}`);
});

test('a lone request on one engine: chunk 0 runs after the first plan step, not after the whole plan', async () => {
  const { log, run } = await rig(1, { cost: { ...COST, planStepMs: 20 } });
  const text = `A ${Array.from({ length: 12 }, () => '30').join(' ')}`;
  assertComplete(await run(text), text);
  const seq = order(log, 'e0');
  assert.ok(seq.indexOf('A0') < seq.indexOf('PA2'), `A0 before the plan's third step: ${seq.join(' ')}`);
});

test('a long plan gives its slot back after PLAN_HOLD_CHUNKS chunks: lookahead may use that engine before the plan ends', async () => {
  const { log, run } = await rig(2, { cost: { ...COST, planStepMs: 30 } });
  const n = PLAN_HOLD_CHUNKS + 14;
  const text = `A ${Array.from({ length: n }, () => '30').join(' ')}`;
  assertComplete(await run(text), text);
  const planEngine = log.find((j) => j.kind === 'plan')!.engine;
  const seq = order(log, planEngine);
  const firstInfer = seq.findIndex((l) => /^A\d+$/.test(l));
  assert.ok(firstInfer > seq.indexOf(`PA${PLAN_HOLD_CHUNKS - 1}`), `no chunk on the plan's engine while it held the slot: ${seq.join(' ')}`);
  assert.ok(firstInfer >= 0 && firstInfer < seq.indexOf('DA'), `a chunk ran there before the plan ended: ${seq.join(' ')}`);
});

test('wide: a lone request\'s only chunk asks for the wide session; chunks that run beside another never do', async () => {
  // A generous hold, so a busy test machine cannot turn the lone chunk narrow.
  const { log, run } = await rig(2, { wideThreads: 2, wideWaitMs: 5000 });
  // One chunk: held for its plan's end (a few ms), then alone.
  assertComplete(await run('A 40'), 'A 40');
  assert.deepEqual(infers(log, 'A').map((j) => j.wide === true), [true], 'the one chunk of a lone request ran wide');
  // Several chunks: chunk 0 is not held for long, and chunks 0 and 1 run at once, one per engine.
  const tb = 'B 40 100 100';
  assertComplete(await run(tb), tb);
  const b = infers(log, 'B');
  assert.equal(b.find((j) => j.chunk === 0)?.wide, undefined, 'chunk 0 of a longer text is not wide: chunk 1 runs beside it');
  // Two requests at once: whatever ran wide had the engines to itself when it was sent.
  const [tc, td] = ['C 60 100 100', 'D 60 100 100'];
  const [c, d] = await Promise.all([run(tc), run(td)]);
  assertComplete(c, tc);
  assertComplete(d, td);
  const all = infers(log);
  for (const w of all.filter((j) => j.wide)) {
    const beside = all.filter((j) => j !== w && j.engine !== w.engine && j.startedAt <= w.queuedAt && w.queuedAt < j.endedAt);
    assert.deepEqual(beside.map(label), [], `${label(w)} was sent wide while another chunk ran`);
  }
  assert.ok(all.filter((j) => j.requestId === 'C' || j.requestId === 'D').some((j) => !j.wide), 'concurrent requests ran narrow chunks');
});

test('wide: engines without a wide session are never asked', async () => {
  const { log, run } = await rig(2);
  assertComplete(await run('A 40'), 'A 40');
  assert.deepEqual(infers(log, 'A').map((j) => j.wide === true), [false]);
});
