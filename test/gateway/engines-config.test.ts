import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadGatewaySettings } from '../../settings/tree.js';

// The slot plan as the gateway makes it: settings read once, GPUs as detected, this many cores.
const planSlots = (env: Record<string, string>, detectedGpus: number[], cores: number) => loadGatewaySettings(env, { detectedGpus, cores }).supervision.slots;
const loadSupervisionConfig = (env: Record<string, string>, detectedGpus: number[]) => loadGatewaySettings(env, { detectedGpus }).supervision;
import { RetryBudget } from '../../gateway/engines/retry-budget.js';

test('auto on a CPU machine: two 1-thread engines on 2 cores, more on bigger machines', () => {
  assert.deepEqual(planSlots({}, [], 2).map((s) => [s.device, s.threads]), [['cpu', 1], ['cpu', 1]]);
  assert.deepEqual(planSlots({}, [], 16).map((s) => s.threads), Array(8).fill(2));
  assert.deepEqual(planSlots({ ENGINES: '1', ENGINE_THREADS: '2' }, [], 2).map((s) => [s.id, s.threads]), [['cpu0', 2]]);
});

test('the wide session: all cores (at most 8) with two or more CPU engines; none for one engine, for GPUs, or with WIDE_THREADS=0', () => {
  assert.deepEqual(planSlots({}, [], 2).map((s) => s.wideThreads), [2, 2]);
  assert.deepEqual(planSlots({}, [], 16).map((s) => s.wideThreads), Array(8).fill(8));
  assert.deepEqual(planSlots({ ENGINES: '1' }, [], 4).map((s) => s.wideThreads), [0]);
  assert.deepEqual(planSlots({ WIDE_THREADS: '0' }, [], 2).map((s) => s.wideThreads), [0, 0]);
  assert.deepEqual(planSlots({ WIDE_THREADS: '4' }, [], 2).map((s) => s.wideThreads), [4, 4]);
  // Not above the engine's own threads: no second session.
  assert.deepEqual(planSlots({ ENGINES: '2', ENGINE_THREADS: '2' }, [], 2).map((s) => s.wideThreads), [0, 0]);
  assert.deepEqual(planSlots({}, [0], 16).map((s) => s.wideThreads ?? 0), [0]);
});

test('auto with GPUs: one engine per GPU (or more on request), pinned', () => {
  assert.deepEqual(planSlots({}, [0, 1], 16).map((s) => s.device), ['cuda:0', 'cuda:1']);
  assert.deepEqual(planSlots({ GPUS: '1', ENGINES_PER_GPU: '2' }, [], 16).map((s) => [s.id, s.device]), [['gpu1-0', 'cuda:1'], ['gpu1-1', 'cuda:1']]);
  assert.throws(() => planSlots({ GPUS: 'x' }, [], 2), /GPUS/);
});

test('remote engines come from ENGINE_URLS, alone or beside local ones', () => {
  const slots = planSlots({ ENGINES: '0', ENGINE_URLS: 'http://10.0.0.5:9000/, http://gpu-b:9000', ENGINE_TOKEN: 'a-long-enough-engine-secret', ENGINE_ALLOW_HTTP: '1' }, [], 2);
  assert.deepEqual(slots.map((s) => [s.kind, s.url]), [['remote', 'http://10.0.0.5:9000'], ['remote', 'http://gpu-b:9000']]);
  assert.throws(() => planSlots({ ENGINES: '0' }, [], 2), /no engines/);
  assert.throws(() => planSlots({ ENGINE_URLS: 'not a url' }, [], 2));
});

test('in-flight caps per engine kind, and the admission limit follows the engines capacity', () => {
  assert.deepEqual(planSlots({}, [], 2).map((s) => s.maxInFlight), [2, 2]);
  assert.deepEqual(planSlots({}, [0], 16).map((s) => s.maxInFlight), [8]);
  assert.deepEqual(planSlots({ ENGINE_MAX_INFLIGHT: '3' }, [], 2).map((s) => s.maxInFlight), [3, 3]);
  // 2 CPU engines x 2 in flight: capacity 4.
  assert.equal(loadGatewaySettings({}, { detectedGpus: [], cores: 2 }).admission.global, 4);
  assert.equal(loadGatewaySettings({ MAX_CONCURRENT: '10' }, { detectedGpus: [], cores: 2 }).admission.global, 10);
});

test('invalid numbers stop start-up with the variable name', () => {
  assert.throws(() => loadSupervisionConfig({ STALL_TIMEOUT_MS: 'soon' }, []), /STALL_TIMEOUT_MS/);
  assert.equal(loadSupervisionConfig({ MAX_ATTEMPTS: '5' }, []).maxAttempts, 5);
});

test('the retry budget allows ratio x requests + min per window', () => {
  const b = new RetryBudget(0.5, 1, 1000);
  for (let i = 0; i < 4; i++) b.noteRequest(0);
  const granted = Array.from({ length: 5 }, () => b.tryRetry(10)).filter(Boolean).length;
  assert.equal(granted, 3); // 1 + 0.5 * 4
  assert.equal(b.tryRetry(2000), true, 'the window slides');
});
