// The /dev routes over the fakes (fast, no model run): what /dev/generate_from_phonemes hands the
// pipeline (a job with the normalized phonemes, wav by default), which speech fields it honours,
// and /dev/phonemize's body reading and error mapping. The real thing: test/e2e/dev-phonemes.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../gateway/config.js';
import { buildApp } from '../../gateway/http/app.js';
import { createMetrics } from '../../gateway/metrics.js';
import { SpeechError } from '../../gateway/speech/errors.js';
import { Vocab } from '../../engine/text/vocab.js';
import { devModelsDir } from '../../models/paths.js';
import type { Lang } from '../../protocol/constants.js';
import { expectedPcm, FakeAdmission, FakeEncoders, FakeSource } from './fakes.js';
import { VOICES } from './helpers.js';

const vocab = Vocab.load(devModelsDir());

function devApp(phonemize: (text: string, lang: Lang, signal: AbortSignal) => Promise<{ phonemes: string; tokens: number[] }>) {
  const source = new FakeSource();
  const app = buildApp({
    config: loadConfig({ LOG_LEVEL: 'silent', API_KEYS: 'sk-dev-test' }),
    source, admission: new FakeAdmission(), encoders: new FakeEncoders(), metrics: createMetrics(),
    voices: () => VOICES, ready: () => true, logger: pino({ level: 'silent' }),
    dev: { vocab, phonemize },
  });
  return { app, source };
}

const post = (url: string, body: unknown, key = 'sk-dev-test') => ({
  method: 'POST' as const, url, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, payload: JSON.stringify(body),
});

describe('/dev routes over the fakes', () => {
  const calls: Array<{ text: string; lang: Lang }> = [];
  const { app, source } = devApp(async (text, lang) => {
    calls.push({ text, lang });
    if (text === 'busy') throw new SpeechError('unavailable', 'No speech engine is ready; try again shortly.', { retryAfterS: 3 });
    return { phonemes: 'hˈI', tokens: vocab.encode('hˈI') };
  });
  after(() => app.close());

  it('generate_from_phonemes: the job carries the normalized phonemes; wav by default; the audio is the pipeline\'s', async () => {
    const r = await app.inject(post('/dev/generate_from_phonemes', { phonemes: ' həlˈO\n wˈɜɹld. ', voice: 'af_heart' }));
    assert.equal(r.statusCode, 200, r.payload);
    assert.equal(r.headers['content-type'], 'audio/wav');
    assert.deepEqual(r.rawPayload, expectedPcm(5), 'the fake encoder passes the fake chunks through');
    const job = source.jobs.at(-1)!;
    assert.equal(job.phonemes, 'həlˈO wˈɜɹld.');
    assert.equal(job.text, job.phonemes);
    assert.equal(job.voice, 'af_heart');
    assert.equal(job.lang, 'en-us');
  });

  it('generate_from_phonemes honours the speech fields: format, speed, mix, lang_code, volume, SSE', async () => {
    const r = await app.inject(post('/dev/generate_from_phonemes', { phonemes: 'ola', voice: 'ef_dora+am_adam', lang_code: 'e', speed: 1.25, response_format: 'pcm', volume_multiplier: 0.5 }));
    assert.equal(r.statusCode, 200, r.payload);
    assert.equal(r.headers['content-type'], 'audio/pcm;rate=24000');
    const job = source.jobs.at(-1)!;
    assert.deepEqual({ voice: job.voice, lang: job.lang, speed: job.speed, volume: job.volume }, { voice: 'ef_dora+am_adam', lang: 'es', speed: 1.25, volume: 0.5 });
    const sse = await app.inject(post('/dev/generate_from_phonemes', { phonemes: 'hˈI', voice: 'af_heart', stream_format: 'sse' }));
    assert.match(String(sse.headers['content-type']), /^text\/event-stream/);
    assert.match(sse.payload, /"type":"speech.audio.done"/);
  });

  it('generate_from_phonemes: bad phonemes are refused before the pipeline runs', async () => {
    const before = source.jobs.length;
    const r = await app.inject(post('/dev/generate_from_phonemes', { phonemes: 'héllo', voice: 'af_heart' }));
    assert.equal(r.statusCode, 400);
    const { error } = JSON.parse(r.payload) as { error: { param: string; message: string; type: string } };
    assert.equal(error.param, 'phonemes');
    assert.equal(error.type, 'invalid_request_error');
    assert.match(error.message, /"é" \(U\+00E9\)/);
    assert.equal(source.jobs.length, before);
    assert.equal((await app.inject(post('/dev/generate_from_phonemes', { phonemes: 'hˈI', voice: 'af_heart' }, 'sk-wrong'))).statusCode, 401);
  });

  it('phonemize: language codes and tags, the engine\'s answer passed through, its failures in OpenAI\'s shape', async () => {
    const r = await app.inject(post('/dev/phonemize', { text: 'Hi.' }));
    assert.equal(r.statusCode, 200);
    assert.deepEqual(JSON.parse(r.payload), { phonemes: 'hˈI', tokens: vocab.encode('hˈI') });
    await app.inject(post('/dev/phonemize', { text: 'Hola.', language: 'E' }));
    await app.inject(post('/dev/phonemize', { text: 'Ciao.', language: 'it-IT' }));
    assert.deepEqual(calls.map((c) => c.lang), ['en-us', 'es', 'it']);
    const busy = await app.inject(post('/dev/phonemize', { text: 'busy' }));
    assert.equal(busy.statusCode, 503);
    assert.equal(busy.headers['retry-after'], '3');
    assert.equal(JSON.parse(busy.payload).error.code, 'service_unavailable');
    const xx = await app.inject(post('/dev/phonemize', { text: 'Hi.', language: 'xx' }));
    assert.equal(xx.statusCode, 400);
    assert.equal(JSON.parse(xx.payload).error.param, 'language');
    assert.equal(calls.length, 4, 'refused bodies never reach an engine');
    assert.equal((await app.inject({ method: 'GET', url: '/dev/phonemize', headers: { authorization: 'Bearer sk-dev-test' } })).statusCode, 405);
  });
});
