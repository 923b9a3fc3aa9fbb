import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { toApiError } from '../../gateway/http/error-handling.js';
import { ClientGoneError, SpeechError } from '../../gateway/speech/errors.js';
import { newStats, runSpeechPipeline, type PipelineDeps } from '../../gateway/speech/pipeline.js';
import { readWholeFile } from '../../gateway/speech/encoder-session.js';
import { expectedPcm, FakeAdmission, FakeEncoders, FakeSource, type EncoderPlan, type FakeSourceOptions } from '../http/fakes.js';

/** What the client would see. */
const http = (e: unknown) => toApiError(e, 0);

const job = { requestId: 't', text: 'hello world', voice: 'af_heart', speed: 1 };

function setup(source: FakeSourceOptions = {}, plans: EncoderPlan[] = [], attempts = 3) {
  const deps = { source: new FakeSource(source), admission: new FakeAdmission(), encoders: new FakeEncoders(plans), encoderAttempts: attempts };
  return deps satisfies PipelineDeps;
}

async function stream(deps: PipelineDeps, signal = new AbortController().signal) {
  const sink = new PassThrough();
  const parts: Buffer[] = [];
  sink.on('data', (b: Buffer) => parts.push(b));
  const stats = newStats();
  let firstBytes = 0;
  await runSpeechPipeline(deps, { job, format: 'pcm', streaming: true, signal, sink, stats, onFirstByte: () => firstBytes++ });
  return { body: Buffer.concat(parts), stats, firstBytes };
}

describe('speech pipeline', () => {
  it('streams every chunk in order and releases admission once', async () => {
    const d = setup({ chunks: 4 });
    const { body, stats, firstBytes } = await stream(d);
    assert.deepEqual(body, expectedPcm(4));
    assert.equal(stats.samples, 4 * 2400);
    assert.equal(stats.inputTokens, job.text.length);
    assert.equal(firstBytes, 1);
    assert.equal(d.admission.released, 1);
    assert.equal(d.encoders.created.length, 1);
  });

  it('returns the whole file when not streaming', async () => {
    const d = setup({ chunks: 3 });
    const body = await readWholeFile((await runSpeechPipeline(d, { job, format: 'wav', streaming: false, signal: new AbortController().signal }))!);
    assert.deepEqual(body, expectedPcm(3));
    assert.equal(d.encoders.created[0]!.options.streaming, false);
  });

  it('replaces an encoder that died before the first byte and replays the kept PCM', async () => {
    // The first encoder holds its output (start-up latency) and dies on the 3rd write.
    const d = setup({ chunks: 5 }, [{ holdWrites: 10, dieAfterWrites: 2 }]);
    const { body, stats } = await stream(d);
    assert.deepEqual(body, expectedPcm(5));
    assert.equal(d.encoders.created.length, 2);
    assert.equal(d.encoders.created[0]!.destroyed, true);
    assert.equal(stats.encoderReplacements, 1);
    assert.equal(d.admission.released, 1);
  });

  it('replaces a non-streaming encoder at any point, since nothing has gone out', async () => {
    const d = setup({ chunks: 5 }, [{ dieAfterWrites: 4 }, { dieAfterWrites: 1 }]);
    const body = await readWholeFile((await runSpeechPipeline(d, { job, format: 'flac', streaming: false, signal: new AbortController().signal }))!);
    assert.deepEqual(body, expectedPcm(5));
    assert.equal(d.encoders.created.length, 3);
  });

  it('fails after the configured number of encoder attempts', async () => {
    const d = setup({ chunks: 5 }, [{ holdWrites: 9, dieAfterWrites: 1 }, { holdWrites: 9, dieAfterWrites: 1 }], 2);
    await assert.rejects(stream(d), (e: unknown) => e instanceof SpeechError && http(e).status === 500 && http(e).code === 'encoder_failed');
    assert.equal(d.encoders.created.length, 2);
    assert.ok(d.encoders.created.every((e) => e.destroyed));
    assert.equal(d.admission.released, 1);
    assert.equal(d.source.signals[0]!.aborted, true, 'engine work is stopped');
  });

  it('fails, rather than replays, when the encoder dies after bytes went out', async () => {
    const d = setup({ chunks: 5 }, [{ dieAfterWrites: 2 }]);
    await assert.rejects(stream(d), (e: unknown) => e instanceof SpeechError && http(e).code === 'encoder_failed');
    assert.equal(d.encoders.created.length, 1);
    assert.equal(d.admission.released, 1);
  });

  it('passes a source failure on, destroys the encoder, releases admission', async () => {
    const d = setup({ chunks: 5, failAfter: 2, failWith: new SpeechError('unavailable', 'no engine', { retryAfterS: 7 }) });
    await assert.rejects(stream(d), (e: unknown) => e instanceof SpeechError && http(e).status === 503 && http(e).retryAfter === 7);
    assert.equal(d.encoders.created[0]!.destroyed, true);
    assert.equal(d.admission.released, 1);
    assert.equal(d.admission.doubleRelease, 0);
  });

  it('treats a source that stops without its end event as a failure', async () => {
    const d = setup({ chunks: 5, cutAfter: 3 });
    await assert.rejects(stream(d), (e: unknown) => e instanceof SpeechError && http(e).code === 'synthesis_incomplete');
    assert.equal(d.encoders.created[0]!.destroyed, true);
  });

  it('on client abort: aborts the source signal, destroys the encoder at once, releases admission', async () => {
    const d = setup({ chunks: 5, hangAfter: 2 });
    const ac = new AbortController();
    const run = stream(d, ac.signal);
    await d.source.hanging;
    ac.abort();
    await assert.rejects(run, (e: unknown) => e instanceof ClientGoneError);
    assert.equal(d.source.signals[0]!.aborted, true);
    assert.equal(d.encoders.created[0]!.destroyed, true);
    assert.equal(d.admission.released, 1);
  });

  it('passes an admission refusal on without creating an encoder', async () => {
    const d = setup();
    d.admission.reject = new SpeechError('busy', 'busy', { retryAfterS: 3 });
    await assert.rejects(stream(d), (e: unknown) => e instanceof SpeechError && http(e).status === 429);
    assert.equal(d.encoders.created.length, 0);
    assert.equal(d.source.jobs.length, 0);
  });
});

describe('speech pipeline, late grants', () => {
  it('a slot or an encoder that arrives after the client left is handed back', async () => {
    const ac = new AbortController();
    let grant!: (r: () => void) => void;
    let releasedLate = 0;
    const admission = { acquire: () => new Promise<() => void>((r) => (grant = r)) };
    const d = { ...setup(), admission };
    const run = runSpeechPipeline(d, { job, format: 'pcm', streaming: false, signal: ac.signal });
    ac.abort();
    await assert.rejects(run, (e: unknown) => e instanceof ClientGoneError);
    grant(() => releasedLate++);
    await new Promise((r) => setImmediate(r));
    assert.equal(releasedLate, 1);

    const ac2 = new AbortController();
    const late = setup();
    let giveEncoder!: () => void;
    const gate = new Promise<void>((r) => (giveEncoder = r));
    const create = late.encoders.create.bind(late.encoders);
    late.encoders.create = async (f, o) => (await gate, create(f, o));
    const run2 = runSpeechPipeline(late, { job, format: 'pcm', streaming: false, signal: ac2.signal });
    await new Promise((r) => setImmediate(r));
    ac2.abort();
    await assert.rejects(run2, (e: unknown) => e instanceof ClientGoneError);
    giveEncoder();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(late.encoders.created.length, 1);
    assert.equal(late.encoders.created[0]!.destroyed, true);
    assert.equal(late.admission.released, 1);
  });
});
