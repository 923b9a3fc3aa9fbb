// The engine with the real Kokoro model (present in CI at ../shared/models).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FrameKind, type EngineHealth, type Frame } from '../../protocol/engine-wire.js';
import { getJson, infer, plan, startEngine, synthesize, type EngineProcess } from '../support/engine-process.js';
import { listVoiceNames } from '../../engine/voices.js';
import { modelsDir } from '../support/paths.js';
import { existsSync } from 'node:fs';
import { SAMPLE_RATE } from '../../protocol/constants.js';
import { modelFiles } from '../../models/paths.js';
import { MODEL_FILE, manifestEntry } from '../../models/manifest.js';
import { planDigest } from '../../protocol/engine-wire.js';
import { PARAGRAPHS as BENCH_PARAGRAPHS } from '../../bench/texts.js';

let engine: EngineProcess;
before(async () => {
  engine = await startEngine({ threads: 2 });
});
after(() => engine?.stop());

const audio = (frames: Frame[]) => frames.filter((f): f is Extract<Frame, { kind: 1 }> => f.kind === FrameKind.AUDIO);
const seconds = (frames: Frame[]) => audio(frames).reduce((n, c) => n + c.samples.length, 0) / SAMPLE_RATE;
function rms(frames: Frame[]): number {
  let sum = 0;
  let n = 0;
  for (const c of audio(frames)) for (const s of c.samples) (sum += s * s), n++;
  return Math.sqrt(sum / Math.max(1, n)) / 32768;
}

const PARAGRAPHS = [
  'The morning train left the station a few minutes late. Most passengers were still half asleep, holding paper cups of coffee and staring out at the grey fields.',
  'By noon the clouds had cleared. A conductor walked through the carriages, checking tickets and answering questions about the connection in the next city.',
  'When the train finally arrived, the platform was crowded with families waiting for their relatives. Somebody laughed, a child waved, and the long journey was over.',
].join('\n\n');

test('runs on ONNX Runtime 1.32 when its library is in the models dir', { skip: !existsSync(modelFiles(modelsDir).runtimeLibrary) && 'no 1.32 library' }, async () => {
  assert.equal(engine.runtime, '1.32.0');
  const h = await getJson<EngineHealth>(engine.port, '/health');
  assert.equal(h.body.runtime, '1.32.0 (upgraded)');
});

test('"Hello world." gives 0.5-3 s of non-silent audio', async () => {
  const r = await synthesize(engine.port, { text: 'Hello world.', voice: 'af_heart' });
  const s = seconds(r.frames);
  assert.ok(s >= 0.5 && s <= 3, `${s} s`);
  assert.ok(rms(r.frames) > 0.01, `rms ${rms(r.frames)}`);
});

let fullRun: Frame[] | undefined; // reused by the resume test: one long synthesis, not two

test('three paragraphs give several chunks and a duration that fits the words', async () => {
  const r = await synthesize(engine.port, { text: PARAGRAPHS, voice: 'am_adam' });
  fullRun = r.frames;
  const chunks = audio(r.frames);
  const end = r.frames.at(-1) as Extract<Frame, { kind: 4 }>;
  assert.equal(end.kind, FrameKind.END);
  assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
  const words = PARAGRAPHS.split(/\s+/).length;
  const s = seconds(r.frames);
  // Kokoro speaks about 2-4 words a second at speed 1.
  assert.ok(s > words / 4.5 && s < words / 1.5, `${words} words in ${s} s`);
  for (const c of chunks) assert.ok(c.samples.length > SAMPLE_RATE / 4, `chunk ${c.chunk} is only ${c.samples.length} samples`);
});

test('resuming at chunk k gives exactly the tail of the full stream', async () => {
  const full = audio(fullRun ?? (await synthesize(engine.port, { text: PARAGRAPHS, voice: 'am_adam' })).frames);
  const k = 2;
  const tail = audio((await synthesize(engine.port, { text: PARAGRAPHS, voice: 'am_adam', fromChunk: k })).frames);
  assert.equal(tail.length, full.length - k);
  for (let i = 0; i < tail.length; i++) assert.deepEqual(tail[i]!.samples, full[k + i]!.samples, `chunk ${k + i}`);
});

test('voices of each English kind speak, and a mix works', async () => {
  // Every pack's loading is checked in voices.test.ts; here one voice per language and gender.
  const english = listVoiceNames(join(modelsDir, 'voices')).filter((n) => n[0] === 'a' || n[0] === 'b');
  assert.ok(english.length >= 28);
  const sample = ['af', 'am', 'bf', 'bm'].map((p) => english.find((n) => n.startsWith(p))!);
  for (const voice of [...sample, 'af_heart(2)+bm_george(1)']) {
    const r = await synthesize(engine.port, { text: 'Hi.', voice });
    assert.equal(r.status, 200, voice);
    assert.ok(seconds(r.frames) > 0.2 && rms(r.frames) > 0.005, `${voice}: ${seconds(r.frames)} s, rms ${rms(r.frames)}`);
  }
});

test('bad voice, empty text and bad speed give clear errors', async () => {
  for (const [body, code] of [
    [{ text: 'Hi.', voice: 'zz_nobody' }, 'invalid_voice'],
    [{ text: '', voice: 'af_heart' }, 'invalid_text'],
    [{ text: 'Hi.', voice: 'af_heart', speed: 0.1 }, 'invalid_speed'],
  ] as const) {
    const r = await synthesize(engine.port, body);
    assert.equal(r.status, 400);
    assert.equal(r.error?.code, code);
    assert.ok(r.error!.message.length > 5);
  }
});

test('/health answers quickly while a long chunk is being synthesized', async () => {
  const long = PARAGRAPHS.replace(/\n\n/g, ' ');
  let inChunk = false;
  let done = false;
  const running = synthesize(engine.port, { text: long, voice: 'af_heart', speed: 0.5 }, (f) => {
    if (f.kind === FrameKind.CHUNK && f.chunk === 1) inChunk = true;
    if (done && f.kind === FrameKind.AUDIO) return 'abort'; // measured: no need to hear the rest
  });
  while (!inChunk) await new Promise((r) => setTimeout(r, 20));
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const h = await getJson<EngineHealth>(engine.port, '/health');
    times.push(performance.now() - t0);
    assert.equal(h.body.state, 'busy');
    assert.ok(h.body.current !== null);
  }
  done = true;
  await running;
  // Generous bound: the point is that it is not blocked for the length of a chunk (seconds).
  assert.ok(Math.max(...times) < 500, `health took ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
});

test('/plan sends chunk 0 long before a book-length plan is done, and /infer speaks the plan', async () => {
  // About 5,000 words: the bench paragraphs over and over, as paragraphs.
  const book = Array.from({ length: 12 }, () => BENCH_PARAGRAPHS.join('\n\n')).join('\n\n');
  assert.ok(book.split(/\s+/).length > 4800);
  // A plan waits for the chunk in flight (an earlier test's, cancelled at its boundary): time it from idle.
  for (;;) {
    const h = (await getJson<EngineHealth>(engine.port, '/health')).body;
    if (h.current === null && h.activeRequests === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const t0 = performance.now();
  let firstMs = 0;
  const r = await plan(engine.port, { text: book, voice: 'af_heart' }, (f) => {
    if (f.kind === FrameKind.PLAN && f.chunk === 0) firstMs = performance.now() - t0;
  });
  const totalMs = performance.now() - t0;
  const ps = r.frames.filter((f): f is Extract<Frame, { kind: 6 }> => f.kind === FrameKind.PLAN);
  const fin = r.frames.find((f): f is Extract<Frame, { kind: 7 }> => f.kind === FrameKind.PLANNED);
  assert.ok(fin, 'PLANNED');
  assert.equal(fin.digest, planDigest(ps.map((p) => ({ index: p.chunk, tokens: p.tokens }))));
  console.log(`/plan of ${book.split(/\s+/).length} words: first PLAN frame after ${firstMs.toFixed(0)} ms, PLANNED after ${totalMs.toFixed(0)} ms (${ps.length} chunks)`);
  assert.ok(ps.length > 50, `${ps.length} chunks`);
  assert.ok(firstMs > 0 && firstMs < totalMs, 'chunk 0 arrives before the plan is done');
  // The first two planned chunks, spoken through /infer, sound like speech.
  const a = await infer(engine.port, { voice: 'af_heart', chunks: ps.slice(0, 2).map((p) => ({ index: p.chunk, tokens: p.tokens })) });
  assert.equal(a.frames.at(-1)?.kind, FrameKind.END);
  assert.deepEqual(audio(a.frames).map((c) => c.chunk), [0, 1]);
  assert.ok(seconds(a.frames) > 1 && rms(a.frames) > 0.01, `${seconds(a.frames)} s, rms ${rms(a.frames)}`);
});

test('/health names the model by the manifest\'s SHA-256', async () => {
  const h = await getJson<EngineHealth>(engine.port, '/health');
  assert.equal(h.body.modelSha256, manifestEntry(MODEL_FILE)!.sha256);
});
