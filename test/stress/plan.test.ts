// A seed must repeat a run's choices and fault schedule; metrics parsing must read counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CASES } from '../../stress/corpus.js';
import { buildSchedule } from '../../stress/faults.js';
import { DEFAULT_MIX, planFor } from '../../stress/load.js';
import { increaseByLabel, parseProm, sumOf } from '../../stress/prom.js';
import { badInputCases } from '../../stress/bad-input.js';

test('request plans depend only on seed and sequence number', () => {
  const a = Array.from({ length: 50 }, (_, i) => planFor(11, i, DEFAULT_MIX, CASES));
  const b = Array.from({ length: 50 }, (_, i) => planFor(11, i, DEFAULT_MIX, CASES));
  assert.deepEqual(a, b);
  const c = Array.from({ length: 50 }, (_, i) => planFor(12, i, DEFAULT_MIX, CASES));
  assert.notDeepEqual(a, c);
  const formats = new Set(Array.from({ length: 300 }, (_, i) => planFor(3, i, DEFAULT_MIX, CASES).format));
  assert.equal(formats.size, 6, 'all six formats drawn');
  const modes = new Set(Array.from({ length: 300 }, (_, i) => planFor(3, i, DEFAULT_MIX, CASES).mode));
  assert.deepEqual([...modes].sort(), ['file', 'sse', 'stream']);
});

test('every corpus text is distinct, so a swap is detectable', () => {
  assert.equal(new Set(CASES.map((c) => c.text)).size, CASES.length);
  assert.equal(new Set(CASES.map((c) => c.id)).size, CASES.length);
});

test('fault schedule: same seed, same schedule; every requested fault inside the run', () => {
  const spec = { durationMs: 150_000, counts: { engineSigkill: 2, engineSigsegv: 1, engineStall: 1, encoderKill: 2, burst: 2 } };
  const s1 = buildSchedule(spec, 5);
  assert.deepEqual(s1, buildSchedule(spec, 5));
  assert.equal(s1.length, 8);
  assert.ok(s1.every((f) => f.atMs > 0 && f.atMs < spec.durationMs));
  assert.ok(s1.every((f, i) => i === 0 || f.atMs >= s1[i - 1]!.atMs), 'in time order');
  assert.equal(s1.filter((f) => f.kind === 'engineSigkill').length, 2);
});

test('prometheus text: sums and per-label increases', () => {
  const before = parseProm('# HELP x\nkokoro_speech_retries_total{reason="exit"} 1\n');
  const after = parseProm('kokoro_speech_retries_total{reason="exit"} 3\nkokoro_speech_retries_total{reason="stall"} 2\nkokoro_engine_restarts_total{engine="cpu0"} 4\n');
  assert.equal(sumOf(after, 'kokoro_speech_retries_total'), 5);
  assert.deepEqual(increaseByLabel(before, after, 'kokoro_speech_retries_total'), { '{reason="exit"}': 2, '{reason="stall"}': 2 });
  assert.equal(sumOf(after, 'kokoro_engine_restarts_total'), 4);
});

test('bad-input cases never accept a 5xx', () => {
  for (const c of badInputCases()) assert.ok(c.expect.every((s) => s < 500), c.name);
});
