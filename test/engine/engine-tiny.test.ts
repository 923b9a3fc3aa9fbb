// The engine process end to end with a tiny generated model: the real text front end and
// protocol, instant inference. Checks framing, resume, validation, health and cancellation.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadKokoroModel } from '../../engine/inference.js';
import { FrameKind, type EngineHealth, type Frame } from '../../protocol/engine-wire.js';
import { loadRuntime } from '../../engine/runtime/ort.js';
import { getJson, startEngine, synthesize, type EngineProcess } from '../support/engine-process.js';
import { TINY_DEFAULT_SAMPLES_PER_TOKEN, writeTinyKokoroModel } from '../support/tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'engine-tiny-'));
const modelFile = join(dir, 'tiny.onnx');
writeTinyKokoroModel(modelFile);
let engine: EngineProcess;

const LONG = Array.from({ length: 12 }, (_, i) =>
  `Sentence number ${i + 1} talks about the quiet harbour, the gulls, and the boats that came home late.`).join(' ');

const audio = (frames: Frame[]) => frames.filter((f): f is Extract<Frame, { kind: 1 }> => f.kind === FrameKind.AUDIO);
const end = (frames: Frame[]) => frames.find((f): f is Extract<Frame, { kind: 4 }> => f.kind === FrameKind.END);

before(async () => {
  engine = await startEngine({ env: { KOKORO_MODEL_FILE: modelFile, KOKORO_CACHE_DIR: join(dir, 'cache') } });
});
after(async () => {
  await engine?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a multi-chunk text streams every chunk in order, then an end frame with totals', async () => {
  const r = await synthesize(engine.port, { text: LONG, voice: 'af_heart' });
  assert.equal(r.status, 200);
  const chunks = audio(r.frames);
  const fin = end(r.frames);
  assert.ok(fin, 'end frame present');
  assert.ok(chunks.length >= 3, `expected several chunks, got ${chunks.length}`);
  assert.deepEqual(chunks.map((c) => c.chunk), chunks.map((_, i) => i));
  assert.equal(fin.chunks, chunks.length);
  const total = chunks.reduce((n, c) => n + c.samples.length, 0);
  assert.equal(fin.samples, total);
  // The tiny model gives samplesPerToken samples per token, pads included.
  assert.equal(total, (fin.inputTokens + 2 * chunks.length) * TINY_DEFAULT_SAMPLES_PER_TOKEN);
  // Each chunk was announced (CHUNK frame) before its audio.
  const announced = r.frames.filter((f) => f.kind === FrameKind.CHUNK).map((f) => (f as { chunk: number }).chunk);
  assert.deepEqual(announced, chunks.map((c) => c.chunk));
});

test('fromChunk=k gives exactly the tail of the full stream', async () => {
  const full = audio((await synthesize(engine.port, { text: LONG, voice: 'af_heart', speed: 1.1 })).frames);
  const k = 2;
  const tail = await synthesize(engine.port, { text: LONG, voice: 'af_heart', speed: 1.1, fromChunk: k });
  const tailChunks = audio(tail.frames);
  assert.deepEqual(tailChunks.map((c) => c.chunk), full.slice(k).map((c) => c.chunk));
  for (let i = 0; i < tailChunks.length; i++) assert.deepEqual(tailChunks[i]!.samples, full[k + i]!.samples);
  assert.equal(end(tail.frames)?.chunks, full.length);
  const past = await synthesize(engine.port, { text: LONG, voice: 'af_heart', fromChunk: full.length + 1 });
  assert.equal(past.frames.at(-1)?.kind, FrameKind.ERROR);
});

test('voice mixes and speed change the audio', async () => {
  const a = audio((await synthesize(engine.port, { text: 'Hello there.', voice: 'af_heart' })).frames)[0]!.samples;
  const mix = audio((await synthesize(engine.port, { text: 'Hello there.', voice: 'af_heart(2)+am_adam(1)' })).frames)[0]!.samples;
  const fast = audio((await synthesize(engine.port, { text: 'Hello there.', voice: 'af_heart', speed: 2 })).frames)[0]!.samples;
  assert.notDeepEqual(a, mix);
  assert.notDeepEqual(a, fast);
});

test('bad requests get a clear error status and code, and nothing runs', async () => {
  const cases: [object | string, number, string][] = [
    [{ text: 'Hi.', voice: 'af_nobody' }, 400, 'invalid_voice'],
    [{ text: 'Hi.', voice: '../../etc/passwd' }, 400, 'invalid_voice'],
    [{ text: 'Hi.', voice: 'ff_siwis' }, 400, 'invalid_voice'],
    [{ text: '   ', voice: 'af_heart' }, 400, 'invalid_text'],
    [{ text: 'a\0b', voice: 'af_heart' }, 400, 'invalid_text'],
    [{ text: 'Hi.', voice: 'af_heart', speed: 9 }, 400, 'invalid_speed'],
    [{ text: 'Hi.', voice: 'af_heart', speed: '1' }, 400, 'invalid_speed'],
    [{ text: 'Hi.', voice: 'af_heart', fromChunk: -1 }, 400, 'invalid_request'],
    ['{not json', 400, 'invalid_request'],
  ];
  for (const [body, status, code] of cases) {
    const r = await synthesize(engine.port, body as object);
    assert.equal(r.status, status, JSON.stringify(body));
    assert.equal(r.error?.code, code, JSON.stringify(body));
  }
  const h = await getJson<EngineHealth>(engine.port, '/health');
  assert.equal(h.body.activeRequests, 0);
});

test('/health and /voices describe the engine', async () => {
  const h = await getJson<EngineHealth>(engine.port, '/health');
  assert.equal(h.status, 200);
  assert.equal(h.body.state, 'ready');
  assert.equal(h.body.pid, engine.child.pid);
  assert.equal(h.body.device, 'cpu');
  assert.match(h.body.runtime, /^1\.3\d\.\d \((stock|upgraded)\)$/);
  const v = await getJson<{ voices: { name: string; lang: string; gender: string }[] }>(engine.port, '/voices');
  assert.equal(v.body.voices.length, 54);
  assert.deepEqual(v.body.voices.find((x) => x.name === 'bm_george'), { name: 'bm_george', lang: 'en-gb', gender: 'male' });
});

test('a client that hangs up stops the work, and the engine is free again', async () => {
  // Tiny-model chunks take a millisecond, so a few may finish before the close is seen; what
  // matters is that the rest of a long text is never synthesized for nobody.
  const longer = Array.from({ length: 8 }, () => LONG).join(' ');
  const total = audio((await synthesize(engine.port, { text: longer, voice: 'af_heart' })).frames).length;
  const before = (await getJson<EngineHealth>(engine.port, '/health')).body.chunksDone;
  const r = await synthesize(engine.port, { text: longer, voice: 'af_heart' }, (f) => (f.kind === FrameKind.AUDIO ? 'abort' : undefined));
  assert.equal(audio(r.frames).length, 1);
  await new Promise((res) => setTimeout(res, 300));
  const h = (await getJson<EngineHealth>(engine.port, '/health')).body;
  assert.equal(h.activeRequests, 0);
  assert.ok(total >= 20, `${total} chunks`);
  assert.ok(h.chunksDone - before < total / 2, `ran ${h.chunksDone - before} of ${total} chunks after the client left`);
});

test('input and output names are read from the session (input_ids / waveform exports)', async () => {
  const other = join(dir, 'other-names.onnx');
  writeTinyKokoroModel(other, { names: { tokens: 'input_ids', style: 'style', speed: 'speed', audio: 'waveform' } });
  const { ort } = loadRuntime({});
  const model = await loadKokoroModel(ort, { modelPath: other, threads: 1, device: 'cpu' });
  const out = await model.run([5, 6, 7], new Float32Array(256), 1);
  assert.equal(out.length, 5 * TINY_DEFAULT_SAMPLES_PER_TOKEN);
  await model.release();
});
