// The verifier must catch what the stress suite exists to catch: lost tails, swapped audio,
// malformed rejections. Audio here is synthetic speech-like bursts encoded with real ffmpeg.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CASES } from '../../stress/corpus.js';
import { createRng } from '../../stress/prng.js';
import type { Format, Mode, SpeechResult } from '../../stress/types.js';
import { ffmpegPath } from '../../stress/verify/decode.js';
import { RATE } from '../../stress/verify/pcm.js';
import { checkRejection } from '../../stress/verify/rejection.js';
import { makeReference, verifyResponse, type Reference } from '../../stress/verify/verify.js';

/** Tone bursts with seeded lengths and loudness: a distinct envelope per seed, like words. */
function speechLike(seed: number, seconds: number): Int16Array {
  const rng = createRng(seed);
  const out = new Int16Array(Math.round(seconds * RATE));
  let pos = 0;
  while (pos < out.length) {
    const len = rng.int(RATE * 0.08, RATE * 0.35);
    const gap = rng.int(RATE * 0.03, RATE * 0.2);
    const amp = 3000 + rng.next() * 20000;
    const freq = 120 + rng.next() * 300;
    for (let i = 0; i < len && pos + i < out.length; i++) {
      const shape = Math.sin((Math.PI * i) / len);
      out[pos + i] = Math.round(amp * shape * Math.sin((2 * Math.PI * freq * i) / RATE));
    }
    pos += len + gap;
  }
  return out;
}

function encode(samples: Int16Array, format: Format): Buffer {
  const args: Record<Format, string[]> = {
    mp3: ['-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'],
    opus: ['-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg'],
    aac: ['-c:a', 'aac', '-b:a', '64k', '-f', 'adts'],
    flac: ['-c:a', 'flac', '-f', 'flac'],
    wav: ['-c:a', 'pcm_s16le', '-f', 'wav'],
    pcm: ['-f', 's16le'],
  };
  const r = spawnSync(
    ffmpegPath(),
    ['-nostdin', '-v', 'error', '-f', 's16le', '-ar', String(RATE), '-ac', '1', '-i', 'pipe:0', ...args[format], 'pipe:1'],
    { input: Buffer.from(samples.buffer), maxBuffer: 64 << 20 },
  );
  assert.equal(r.status, 0, r.stderr?.toString());
  return r.stdout;
}

const caseA = CASES[0]!;
const caseB = CASES[1]!;
const audioA = speechLike(1, 3);
const audioB = speechLike(2, 3);
const refs = new Map<string, Reference>([
  [caseA.id, makeReference(caseA.id, audioA)],
  [caseB.id, makeReference(caseB.id, audioB)],
]);

function result(body: Buffer, format: Format, mode: Mode = 'stream', extra: Partial<SpeechResult> = {}): SpeechResult {
  return {
    plan: { seq: 1, speechCase: caseA, format, mode, clientFault: 'none' },
    status: 200,
    headers: {},
    body,
    complete: true,
    abortedByClient: false,
    startedAt: 0,
    latencyMs: 1,
    ...extra,
  };
}

for (const format of ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const) {
  test(`${format}: an intact response is ok`, async () => {
    const v = await verifyResponse(result(encode(audioA, format), format), refs);
    assert.equal(v.outcome, 'ok', v.detail);
  });
}

for (const format of ['mp3', 'opus'] as const) {
  test(`${format}: a response missing its tail is truncated`, async () => {
    const full = encode(audioA, format);
    const cut = full.subarray(0, Math.floor(full.length * 0.7));
    const v = await verifyResponse(result(cut, format), refs);
    assert.equal(v.outcome, 'truncated', v.detail);
  });
}

test('pcm: a few missing samples at the end are truncated', async () => {
  const cut = audioA.subarray(0, audioA.length - Math.round(RATE * 0.1));
  const v = await verifyResponse(result(Buffer.from(cut.buffer, cut.byteOffset, cut.byteLength), 'pcm'), refs);
  assert.equal(v.outcome, 'truncated', v.detail);
});

for (const format of ['mp3', 'opus', 'pcm'] as const) {
  test(`${format}: another request's audio is mixed up`, async () => {
    const v = await verifyResponse(result(encode(audioB, format), format), refs);
    assert.equal(v.outcome, 'mixedUp', v.detail);
  });
}

test('sse: deltas without done are truncated; with done they are ok', async () => {
  const mp3 = encode(audioA, 'mp3');
  const half = Math.floor(mp3.length / 2);
  const delta = (b: Buffer) => `data: ${JSON.stringify({ type: 'speech.audio.delta', audio: b.toString('base64') })}\n\n`;
  const body = delta(mp3.subarray(0, half)) + delta(mp3.subarray(half));
  const done = `data: ${JSON.stringify({ type: 'speech.audio.done' })}\n\n`;
  assert.equal((await verifyResponse(result(Buffer.from(body), 'mp3', 'sse'), refs)).outcome, 'truncated');
  const ok = await verifyResponse(result(Buffer.from(body + done), 'mp3', 'sse'), refs);
  assert.equal(ok.outcome, 'ok', ok.detail);
  assert.equal(ok.sseError, undefined);
});

test('sse: an error event instead of done is a truncation the client was told of (visible)', async () => {
  const mp3 = encode(audioA, 'mp3');
  const delta = `data: ${JSON.stringify({ type: 'speech.audio.delta', audio: mp3.subarray(0, mp3.length >> 1).toString('base64') })}\n\n`;
  const error = `data: ${JSON.stringify({ type: 'error', error: { message: 'Audio encoding failed.', type: 'server_error', param: null, code: 'encoder_failed' } })}\n\n`;
  const v = await verifyResponse(result(Buffer.from(delta + error), 'mp3', 'sse'), refs);
  assert.equal(v.outcome, 'truncated', v.detail);
  assert.equal(v.sseError, true);
  assert.match(v.detail ?? '', /sse error event: Audio encoding failed/);
});

test('a response the server cut off is truncated even if it decodes', async () => {
  const v = await verifyResponse(result(encode(audioA, 'flac'), 'flac', 'stream', { complete: false, error: 'socket hang up' }), refs);
  assert.equal(v.outcome, 'truncated');
});

test('a file response shorter than its Content-Length is truncated', async () => {
  const wav = encode(audioA, 'wav');
  const v = await verifyResponse(
    result(wav.subarray(0, wav.length - 100), 'wav', 'file', { headers: { 'content-length': String(wav.length) } }),
    refs,
  );
  assert.equal(v.outcome, 'truncated', v.detail);
});

test('garbage bytes are corrupt', async () => {
  const rng = createRng(9);
  const junk = Buffer.from(Array.from({ length: 20000 }, () => rng.int(0, 256)));
  const v = await verifyResponse(result(junk, 'mp3'), refs);
  assert.ok(['corrupt', 'truncated'].includes(v.outcome), `${v.outcome}: ${v.detail}`);
});

test('rejections need Retry-After and an OpenAI-shaped body', async () => {
  const good = JSON.stringify({ error: { message: 'busy', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } });
  assert.ok(checkRejection(429, { 'retry-after': '2' }, good).ok);
  assert.ok(!checkRejection(429, {}, good).ok, 'missing Retry-After');
  assert.ok(!checkRejection(503, { 'retry-after': '1' }, '{"detail":"busy"}').ok, 'FastAPI shape');
  assert.ok(!checkRejection(503, { 'retry-after': '1' }, 'Service Unavailable').ok, 'not JSON');
  const v = await verifyResponse(result(Buffer.from(good), 'mp3', 'stream', { status: 429, headers: {} }), refs);
  assert.equal(v.outcome, 'badRejection');
  const ok = await verifyResponse(result(Buffer.from(good), 'mp3', 'stream', { status: 503, headers: { 'retry-after': '3' } }), refs);
  assert.equal(ok.outcome, 'rejected');
});

test('client aborts are counted apart, never as failures', async () => {
  const v = await verifyResponse(result(Buffer.alloc(10), 'mp3', 'stream', { abortedByClient: true, complete: false }), refs);
  assert.equal(v.outcome, 'aborted');
});
