// The encoder session's replacement policy, without the pipeline around it.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { EncoderSession, newStats, readWholeFile } from '../../gateway/speech/encoder-session.js';
import { processTempDir } from '../../audio/encode/factory.js';
import { SpeechError } from '../../gateway/speech/errors.js';
import { expectedPcm, FakeEncoders, sineChunk, type EncoderPlan } from '../http/fakes.js';

function session(plans: EncoderPlan[], attempts: number, streaming: boolean) {
  const encoders = new FakeEncoders(plans);
  const sink = new PassThrough();
  const out: Buffer[] = [];
  sink.on('data', (b: Buffer) => out.push(b));
  const s = new EncoderSession({
    encoders, format: 'pcm', streaming, attempts, signal: new AbortController().signal, sink: streaming ? sink : undefined, stats: newStats(),
    spill: { memoryBytes: 1 << 20, dir: processTempDir },
  });
  return { s, encoders, out };
}

async function run(s: EncoderSession, chunks: number) {
  await s.start();
  for (let k = 0; k < chunks; k++) await s.write(sineChunk(k));
  const file = await s.finish();
  return file && readWholeFile(file);
}

test('a dead encoder is replaced and replayed while nothing went out', async () => {
  const { s, encoders } = session([{ dieAfterWrites: 2 }, { dieAfterWrites: 3 }], 3, false);
  assert.deepEqual(await run(s, 5), expectedPcm(5));
  assert.equal(encoders.created.length, 3);
  assert.ok(encoders.created.slice(0, 2).every((e) => e.destroyed));
});

test('no more than `attempts` encoders', async () => {
  const { s, encoders } = session([{ dieAfterWrites: 1 }, { dieAfterWrites: 1 }, {}], 2, false);
  await assert.rejects(run(s, 5), (e: unknown) => e instanceof SpeechError && e.kind === 'encoder_failed');
  assert.equal(encoders.created.length, 2);
});

test('once a byte went out, a death is a failure, not a replay', async () => {
  const { s, encoders, out } = session([{ dieAfterWrites: 2 }], 3, true);
  await assert.rejects(run(s, 5), (e: unknown) => e instanceof SpeechError && e.kind === 'encoder_failed');
  assert.equal(encoders.created.length, 1);
  assert.ok(Buffer.concat(out).length > 0);
  s.destroy();
});

test('a factory that cannot start an encoder counts as a failed attempt', async () => {
  const { s, encoders } = session([], 2, false);
  const create = encoders.create.bind(encoders);
  let calls = 0;
  encoders.create = async (f, o) => {
    if (calls++ === 0) throw new Error('spawn failed');
    return create(f, o);
  };
  assert.deepEqual(await run(s, 3), expectedPcm(3));
  assert.equal(calls, 2);
});
