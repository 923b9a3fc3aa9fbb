// The engine process end to end with a tiny generated model: the real text front end and
// protocol, instant inference. Checks framing, resume, validation, health and cancellation.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadKokoroModel } from '../../engine/inference.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FrameKind, MAX_INFER_CHUNKS, planDigest, type EngineHealth, type Frame, type PlannedChunk } from '../../protocol/engine-wire.js';
import { loadRuntime } from '../../engine/runtime/ort.js';
import { getJson, infer, plan, startEngine, synthesize, type EngineProcess } from '../support/engine-process.js';
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

// ---- /plan and /infer ---------------------------------------------------------------------

type PlanFrame = Extract<Frame, { kind: 6 }>;
type PlannedFrame = Extract<Frame, { kind: 7 }>;
const plans = (frames: Frame[]) => frames.filter((f): f is PlanFrame => f.kind === FrameKind.PLAN);
const planned = (frames: Frame[]) => frames.find((f): f is PlannedFrame => f.kind === FrameKind.PLANNED);

test('/plan streams PLAN frames in order, then PLANNED with the digest of what was sent', async () => {
  const r = await plan(engine.port, { text: LONG, voice: 'af_heart' });
  assert.equal(r.status, 200);
  const ps = plans(r.frames);
  const fin = planned(r.frames);
  assert.ok(fin, 'planned frame present');
  assert.equal(r.frames.filter((f) => f.kind !== FrameKind.HEARTBEAT).at(-1), fin, 'PLANNED closes the stream');
  assert.ok(ps.length >= 3, `${ps.length} chunks`);
  assert.deepEqual(ps.map((p) => p.chunk), ps.map((_, i) => i));
  for (const p of ps) assert.ok(p.tokens.length > 0 && p.text.length > 0);
  const chunks: PlannedChunk[] = ps.map((p) => ({ index: p.chunk, tokens: p.tokens }));
  assert.equal(fin.chunks, ps.length);
  assert.equal(fin.inputTokens, chunks.reduce((n, c) => n + c.tokens.length, 0));
  assert.equal(fin.digest, planDigest(chunks));
  // Deterministic: the same text plans the same way again (the gateway compares digests across engines).
  const again = planned((await plan(engine.port, { text: LONG, lang: 'en-us' })).frames);
  assert.equal(again?.digest, fin.digest);
});

test('/infer over the plan gives each chunk in the order given, and byte for byte what /synthesize gives', async () => {
  const ps = plans((await plan(engine.port, { text: LONG })).frames);
  const chunks = ps.map((p) => ({ index: p.chunk, tokens: p.tokens }));
  const syn = audio((await synthesize(engine.port, { text: LONG, voice: 'af_heart', speed: 1.1 })).frames);
  const syn2 = audio((await synthesize(engine.port, { text: LONG, voice: 'af_heart', speed: 1.1 })).frames);
  assert.deepEqual(syn2, syn, 'the tiny model is deterministic');
  const r = await infer(engine.port, { voice: 'af_heart', speed: 1.1, chunks });
  assert.equal(r.status, 200);
  const got = audio(r.frames);
  assert.deepEqual(got.map((c) => c.chunk), chunks.map((c) => c.index));
  const cat = (xs: typeof got) => Buffer.concat(xs.map((c) => Buffer.from(c.samples.buffer, c.samples.byteOffset, c.samples.byteLength)));
  assert.ok(cat(got).equals(cat(syn)), '/infer over the plan = /synthesize');
  const fin = end(r.frames)!;
  assert.equal(fin.chunks, chunks.length);
  assert.equal(fin.samples, got.reduce((n, c) => n + c.samples.length, 0));
  assert.equal(fin.inputTokens, chunks.reduce((n, c) => n + c.tokens.length, 0));
  const announced = r.frames.filter((f) => f.kind === FrameKind.CHUNK) as Extract<Frame, { kind: 2 }>[];
  assert.deepEqual(announced.map((f) => [f.chunk, f.chunks, f.tokens]), chunks.map((c) => [c.index, chunks.length, c.tokens.length]));

  // Any subset, any order, arbitrary indexes: audio per chunk in the order given, labelled as given.
  const picked = [{ index: 40, tokens: chunks[2]!.tokens }, { index: 3, tokens: chunks[0]!.tokens }];
  const sub = audio((await infer(engine.port, { voice: 'af_heart', speed: 1.1, chunks: picked })).frames);
  assert.deepEqual(sub.map((c) => c.chunk), [40, 3]);
  assert.deepEqual(sub[0]!.samples, syn[2]!.samples);
  assert.deepEqual(sub[1]!.samples, syn[0]!.samples);
});

test('/plan and /infer reject bad requests with the right code', async () => {
  const ok = [50, 83, 54];
  const cases: [string, object | string, number, string][] = [
    ['/plan', { text: '   ' }, 400, 'invalid_text'],
    ['/plan', { text: 'a\0b' }, 400, 'invalid_text'],
    ['/plan', { text: 'Hi.', lang: 'de' }, 400, 'invalid_request'],
    ['/plan', { text: 'Hi.', voice: 'af_nobody' }, 400, 'invalid_voice'],
    ['/plan', '{not json', 400, 'invalid_request'],
    ['/infer', { voice: 'af_nobody', chunks: [{ index: 0, tokens: ok }] }, 400, 'invalid_voice'],
    ['/infer', { voice: 'af_heart', speed: 9, chunks: [{ index: 0, tokens: ok }] }, 400, 'invalid_speed'],
    ['/infer', { voice: 'af_heart', speed: '1', chunks: [{ index: 0, tokens: ok }] }, 400, 'invalid_speed'],
    ['/infer', { voice: 'af_heart', chunks: [] }, 400, 'invalid_request'],
    ['/infer', { voice: 'af_heart' }, 400, 'invalid_request'],
    ['/infer', { voice: 'af_heart', chunks: Array.from({ length: MAX_INFER_CHUNKS + 1 }, (_, index) => ({ index, tokens: ok })) }, 400, 'invalid_request'],
    ['/infer', { voice: 'af_heart', chunks: [{ index: -1, tokens: ok }] }, 400, 'invalid_request'],
    ['/infer', { voice: 'af_heart', chunks: [{ index: 1.5, tokens: ok }] }, 400, 'invalid_request'],
    ['/infer', { voice: 'af_heart', chunks: [{ tokens: ok }] }, 400, 'invalid_request'],
    ['/infer', { voice: 'af_heart', chunks: [{ index: 0, tokens: [] }] }, 400, 'invalid_request'],
    ['/infer', { voice: 'af_heart', chunks: [{ index: 0, tokens: Array(511).fill(50) }] }, 400, 'invalid_request'],
    ['/infer', { voice: 'af_heart', chunks: [{ index: 0, tokens: [50, 0, 83] }] }, 400, 'invalid_request'],
    ['/infer', { voice: 'af_heart', chunks: [{ index: 0, tokens: [50, 178] }] }, 400, 'invalid_request'],
    ['/infer', { voice: 'af_heart', chunks: [{ index: 0, tokens: [50, 2.5] }] }, 400, 'invalid_request'],
    ['/infer', { voice: 'af_heart', chunks: [{ index: 0, tokens: ['50'] }] }, 400, 'invalid_request'],
    ['/infer', { voice: 'af_heart', chunks: [null] }, 400, 'invalid_request'],
    ['/infer', '[1]', 400, 'invalid_request'],
  ];
  for (const [path, body, status, code] of cases) {
    const r = path === '/plan' ? await plan(engine.port, body as object) : await infer(engine.port, body as object);
    assert.equal(r.status, status, `${path} ${JSON.stringify(body).slice(0, 120)}`);
    assert.equal(r.error?.code, code, `${path} ${JSON.stringify(body).slice(0, 120)}`);
  }
  // Text with nothing to speak is found out while planning: an ERROR frame, not a PLANNED one.
  const none = await plan(engine.port, { text: '... !!! ?' });
  assert.equal(none.status, 200);
  const last = none.frames.at(-1) as Extract<Frame, { kind: 5 }>;
  assert.equal(last.kind, FrameKind.ERROR);
  assert.equal(last.error.code, 'invalid_text');
  assert.equal(plans(none.frames).length, 0);
  // The largest id in the vocabulary is accepted, 1 is too.
  const edge = await infer(engine.port, { voice: 'af_heart', chunks: [{ index: 0, tokens: [1, 177] }] });
  assert.equal(edge.frames.at(-1)?.kind, FrameKind.END);
  const h = await getJson<EngineHealth>(engine.port, '/health');
  assert.equal(h.body.activeRequests, 0);
});

test('a client that leaves /infer or /plan stops the work, and the engine is free again', async () => {
  const ps = plans((await plan(engine.port, { text: LONG })).frames);
  const chunks = Array.from({ length: MAX_INFER_CHUNKS }, (_, i) => ({ index: i, tokens: ps[i % ps.length]!.tokens }));
  const before = (await getJson<EngineHealth>(engine.port, '/health')).body.chunksDone;
  const r = await infer(engine.port, { voice: 'af_heart', chunks }, (f) => (f.kind === FrameKind.AUDIO ? 'abort' : undefined));
  assert.equal(audio(r.frames).length, 1);
  await new Promise((res) => setTimeout(res, 300));
  let h = (await getJson<EngineHealth>(engine.port, '/health')).body;
  assert.equal(h.activeRequests, 0);
  assert.ok(h.chunksDone - before < chunks.length / 2, `ran ${h.chunksDone - before} of ${chunks.length} chunks after the client left`);

  const book = Array.from({ length: 40 }, () => LONG).join('\n\n');
  const p = await plan(engine.port, { text: book }, (f) => (f.kind === FrameKind.PLAN ? 'abort' : undefined));
  assert.equal(plans(p.frames).length, 1);
  await new Promise((res) => setTimeout(res, 100));
  h = (await getJson<EngineHealth>(engine.port, '/health')).body;
  assert.equal(h.activeRequests, 0);
  // The engine still plans and speaks.
  assert.ok(planned((await plan(engine.port, { text: 'Still here.' })).frames));
});

test('/health names the model by its SHA-256 (hashed at start for a file outside the manifest)', async () => {
  const h = await getJson<EngineHealth>(engine.port, '/health');
  assert.equal(h.body.modelSha256, createHash('sha256').update(readFileSync(modelFile)).digest('hex'));
});
