// The engine's phoneme routes with a tiny generated model (the real front end and vocabulary,
// instant inference): /plan from phonemes (the chunks phoneme-chunks.ts makes, refusals naming
// characters), /infer over that plan, and /phonemize (the front end's whole-sentence phonemes).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chunkPhonemes, normalizePhonemes } from '../../engine/text/phoneme-chunks.js';
import { Vocab } from '../../engine/text/vocab.js';
import { FrameKind, planDigest, type EngineHealth, type Frame } from '../../protocol/engine-wire.js';
import { frontEnd, modelsDir } from '../text/models.js';
import { getJson, infer, plan, startEngine, type EngineProcess } from '../support/engine-process.js';
import { writeTinyKokoroModel } from '../support/tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'engine-phonemes-'));
const modelFile = join(dir, 'tiny.onnx');
writeTinyKokoroModel(modelFile);
let engine: EngineProcess;
const vocab = Vocab.load(modelsDir);

before(async () => {
  engine = await startEngine({ env: { KOKORO_MODEL_FILE: modelFile, KOKORO_CACHE_DIR: join(dir, 'cache') } });
});
after(async () => {
  await engine?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type PlanFrame = Extract<Frame, { kind: 6 }>;
const plans = (frames: Frame[]) => frames.filter((f): f is PlanFrame => f.kind === FrameKind.PLAN);

function postJson(path: string, body: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: engine.port, path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
}

const PHONEMES = 'ðə mˈɔɹnɪŋ tɹˈAn lˈɛft ðə stˈAʃən ə fjˈu mˈɪnəts lˈAt. mˈOst pˈæsənʤəɹz wɜɹ stˈɪl hˈæf əslˈip, hˈOldɪŋ kˈʌps ʌv kˈɔfi.';

test('/plan {phonemes}: PLAN frames are the chunks phoneme-chunks.ts makes (text = phonemes), then PLANNED', async () => {
  const r = await plan(engine.port, { phonemes: `  ${PHONEMES}\n`, voice: 'af_heart' } as object);
  assert.equal(r.status, 200);
  const got = plans(r.frames);
  const want = chunkPhonemes(normalizePhonemes(PHONEMES, vocab), vocab); // the engine runs the default chunk sizes
  assert.ok(want.length >= 2, `${want.length} chunks`);
  assert.deepEqual(got.map((f) => ({ index: f.chunk, tokens: f.tokens, text: f.text })), want.map((c) => ({ index: c.index, tokens: c.tokens, text: c.phonemes })));
  const last = r.frames.at(-1) as Extract<Frame, { kind: 7 }>;
  assert.equal(last.kind, FrameKind.PLANNED);
  assert.equal(last.chunks, want.length);
  assert.equal(last.inputTokens, want.reduce((n, c) => n + c.tokens.length, 0));
  assert.equal(last.digest, planDigest(want));
  // The plan speaks: /infer over it ends with every chunk.
  const audio = await infer(engine.port, { voice: 'af_heart', chunks: got.map((f) => ({ index: f.chunk, tokens: f.tokens })) });
  assert.equal(audio.frames.at(-1)?.kind, FrameKind.END);
  assert.equal(audio.frames.filter((f) => f.kind === FrameKind.AUDIO).length, want.length);
});

test('/plan {phonemes}: characters outside the vocabulary, wrong types and nothing to speak are 400 invalid_phonemes', async () => {
  const bad = await plan(engine.port, { phonemes: 'hɛlo ɫ wɜrld 5' } as object);
  assert.equal(bad.status, 400);
  assert.equal(bad.error?.code, 'invalid_phonemes');
  assert.equal(bad.error?.param, 'phonemes');
  assert.match(bad.error!.message, /"ɫ" \(U\+026B\), "5" \(U\+0035\)/);
  for (const phonemes of ['', '  \n', 5, null, '. , !']) {
    const r = await plan(engine.port, { phonemes } as object);
    assert.equal(r.status, 400, JSON.stringify(phonemes));
    assert.equal(r.error?.code, 'invalid_phonemes', JSON.stringify(phonemes));
  }
  const lang = await plan(engine.port, { phonemes: 'hˈI', lang: 'xx' } as object);
  assert.equal(lang.error?.code, 'invalid_request');
  assert.equal((await getJson<EngineHealth>(engine.port, '/health')).body.activeRequests, 0);
});

test('/phonemize: the front end\'s whole-sentence phonemes and their token ids, per language', async () => {
  const fe = await frontEnd();
  const text = 'The morning train left the station a few minutes late. Most passengers were still half asleep.';
  const r = await postJson('/phonemize', { text, lang: 'en-us' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.phonemes, await fe.phonemize(text, 'en-us'));
  assert.deepEqual(r.body.tokens, vocab.encode(r.body.phonemes));
  assert.equal(r.body.tokens.length, [...r.body.phonemes].length);
  const es = await postJson('/phonemize', { text: 'Buenos días.', lang: 'es' });
  assert.equal(es.body.phonemes, await fe.phonemize('Buenos días.', 'es'));
});

test('/phonemize: bad requests get the right code; the engine is free afterwards', async () => {
  const cases: Array<[unknown, string]> = [
    [{ text: '  ', lang: 'en-us' }, 'invalid_text'],
    [{ text: 'a\0b', lang: 'en-us' }, 'invalid_text'],
    [{ text: 'Hi.', lang: 'xx' }, 'invalid_request'],
    [{ text: 'Hi.' }, 'invalid_request'],
    [{ text: '... !!!', lang: 'en-us' }, 'invalid_text'],
    ['{not json', 'invalid_request'],
  ];
  for (const [body, code] of cases) {
    const r = await postJson('/phonemize', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.code, code, JSON.stringify(body));
  }
  assert.equal((await getJson<EngineHealth>(engine.port, '/health')).body.activeRequests, 0);
});
