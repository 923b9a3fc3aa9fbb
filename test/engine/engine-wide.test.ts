// The wide session (WIDE_THREADS) with the real model: loaded after ready, used only when asked
// and the engine has nothing else, and it gives exactly the samples the 1-thread session gives
// (the gateway's resume, cache and byte-identity checks rely on a chunk's audio never changing).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FrameKind, type EngineHealth, type Frame } from '../../protocol/engine-wire.js';
import { getJson, infer, plan, startEngine, type EngineProcess } from '../support/engine-process.js';

let engine: EngineProcess;
before(async () => {
  engine = await startEngine({ threads: 1, env: { WIDE_THREADS: '2' } });
});
after(() => engine?.stop());

const health = async () => (await getJson<EngineHealth>(engine.port, '/health')).body;
const audio = (frames: Frame[]) => frames.filter((f): f is Extract<Frame, { kind: 1 }> => f.kind === FrameKind.AUDIO);

test('the wide session loads after ready and speaks the same samples as the 1-thread one', async () => {
  const deadline = Date.now() + 120_000;
  while ((await health()).wideThreads !== 2) {
    assert.ok(Date.now() < deadline, `no wide session after 120 s: ${engine.logTail(10)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const text = 'Short words first. Then a longer sentence, with a comma, so the plan has more than one chunk to speak.';
  const planned = (await plan(engine.port, { text, voice: 'af_heart' })).frames
    .filter((f): f is Extract<Frame, { kind: 6 }> => f.kind === FrameKind.PLAN)
    .map((p) => ({ index: p.chunk, tokens: p.tokens }));
  assert.ok(planned.length >= 2, `${planned.length} chunks`);
  const before = (await health()).wideChunksDone ?? 0;
  for (const chunk of planned) {
    const narrow = audio((await infer(engine.port, { voice: 'am_adam', speed: 1.1, chunks: [chunk] })).frames);
    const wide = audio((await infer(engine.port, { voice: 'am_adam', speed: 1.1, chunks: [chunk], wide: true })).frames);
    assert.equal(narrow.length, 1);
    assert.equal(wide.length, 1);
    assert.ok(narrow[0]!.samples.length > 2400, `chunk ${chunk.index}: ${narrow[0]!.samples.length} samples`);
    assert.deepEqual(wide[0]!.samples, narrow[0]!.samples, `chunk ${chunk.index}: the same samples on 2 threads as on 1`);
  }
  assert.equal((await health()).wideChunksDone, before + planned.length, 'each wide request ran on the wide session, the others did not');
});

test('wide must be a boolean', async () => {
  const r = await infer(engine.port, { voice: 'af_heart', chunks: [{ index: 0, tokens: [50, 83] }], wide: 'yes' });
  assert.equal(r.status, 400);
  assert.equal(r.error?.param, 'wide');
});
