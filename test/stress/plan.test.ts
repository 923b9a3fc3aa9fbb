// A seed must repeat a run's choices and fault schedule; metrics parsing must read counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CASES, HUGE_CASES } from '../../stress/corpus.js';
import { buildSchedule } from '../../stress/faults.js';
import { DEFAULT_MIX, FAST_MIX, planFor } from '../../stress/load.js';
import { PROFILES } from '../../stress/profiles.js';
import { STALL_PAUSE_MS } from '../../stress/client.js';
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

test('slow clients and huge files: stalls and trickles are drawn, huge texts only as whole files and never trickled', () => {
  const plans = Array.from({ length: 600 }, (_, i) => planFor(5, i, FAST_MIX, [...CASES, ...HUGE_CASES]));
  const faults = new Set(plans.map((p) => p.clientFault));
  for (const f of ['none', 'abort', 'slowReader', 'stall', 'trickle']) assert.ok(faults.has(f as never), `${f} drawn`);
  const huge = plans.filter((p) => p.speechCase.textClass === 'huge');
  assert.ok(huge.length > 0, 'huge files drawn');
  assert.ok(huge.every((p) => p.mode === 'file' && p.clientFault !== 'trickle'));
  // The default mix (real engines) never sends a huge text.
  assert.ok(Array.from({ length: 600 }, (_, i) => planFor(5, i, DEFAULT_MIX, [...CASES, ...HUGE_CASES])).every((p) => p.speechCase.textClass !== 'huge'));
  // Stalling clients pause longer than the stress gateway's CLIENT_STALL_MS.
  for (const p of Object.values(PROFILES)) assert.ok(Number(p.gatewayEnv.CLIENT_STALL_MS) < STALL_PAUSE_MS, p.name);
  assert.equal(PROFILES.fast!.engines, 'fake');
});

test('our own gateway is asked for audio over MAX_AUDIO_SECONDS (413); another server is not', () => {
  const ours = badInputCases(undefined, undefined, { ownGateway: true }).find((c) => c.name.includes('MAX_AUDIO_SECONDS'));
  assert.ok(ours);
  assert.deepEqual(ours.expect, [413]);
  const body = ours.body as { input: string; speed: number };
  assert.ok(body.input.length / 12 / body.speed > 10_800, 'over the default limit by the estimate');
  assert.equal(badInputCases().some((c) => c.name.includes('MAX_AUDIO_SECONDS')), false);
});
