// The OpenAI contract over inject(): statuses, error shapes, listings, probes, request ids.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpeechError } from '../../gateway/speech/errors.js';
import { base, speech, testApp } from './helpers.js';
import { expectedPcm } from './fakes.js';

const settle = () => new Promise((r) => setImmediate(r));

type Inject = Awaited<ReturnType<ReturnType<typeof testApp>['app']['inject']>>;

function assertError(res: Inject, status: number, param?: string | null) {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json();
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  if (param !== undefined) assert.equal(body.error.param, param);
  return body.error as { message: string; type: string; param: string | null; code: string | null };
}

describe('POST /v1/audio/speech validation', () => {
  const { app, source } = testApp();

  const bad: Array<[string, unknown, string | null]> = [
    ['unknown model', { ...base, model: 'gpt-5' }, 'model'],
    ['missing model', { input: 'x', voice: 'af_heart' }, 'model'],
    ['missing input', { model: 'tts-1', voice: 'af_heart' }, 'input'],
    ['blank input', { ...base, input: '  \n\t ' }, 'input'],
    ['input not a string', { ...base, input: 42 }, 'input'],
    ['input with NUL', { ...base, input: 'a\u0000b' }, 'input'],
    ['input too long', { ...base, input: 'a'.repeat(101) }, 'input'],
    ['missing voice', { model: 'tts-1', input: 'x' }, 'voice'],
    ['unknown voice', { ...base, voice: 'zz_nobody' }, 'voice'],
    ['path traversal voice', { ...base, voice: '../../etc/passwd' }, 'voice'],
    ['absolute path voice', { ...base, voice: '/etc/passwd' }, 'voice'],
    ['voice with NUL', { ...base, voice: 'af_heart\u0000' }, 'voice'],
    ['voice not a string', { ...base, voice: ['af_heart'] }, 'voice'],
    ['voices of two languages in a mix', { ...base, voice: 'af_heart+zf_xiaobei' }, 'voice'],
    ['bad mix weight', { ...base, voice: 'af_heart(0)+am_adam' }, 'voice'],
    ['unknown format', { ...base, response_format: 'ogg' }, 'response_format'],
    ['speed too low', { ...base, speed: 0.1 }, 'speed'],
    ['speed too high', { ...base, speed: 4.5 }, 'speed'],
    ['speed as string', { ...base, speed: '1.0' }, 'speed'],
    ['bad stream_format', { ...base, stream_format: 'ws' }, 'stream_format'],
    ['stream not boolean', { ...base, stream: 'no' }, 'stream'],
    ['sse without streaming', { ...base, stream: false, stream_format: 'sse' }, 'stream'],
    ['instructions not a string', { ...base, instructions: { a: 1 } }, 'instructions'],
    ['array body', [base], null],
    ['null body', 'null', null],
    ['malformed JSON', '{"model": "tts-1",', null],
    ['prototype poisoning', '{"__proto__": {"x": 1}, "model": "tts-1"}', null],
  ];
  const env = { MAX_INPUT_CHARS: '100' };
  const limited = testApp({ env });
  for (const [name, body, param] of bad) {
    it(`400 for ${name}`, async () => {
      const res = await limited.app.inject(speech(body));
      const err = assertError(res, 400, param);
      assert.equal(err.type, 'invalid_request_error');
    });
  }

  it('never starts work for a refused request', () => {
    assert.equal(limited.source.jobs.length, 0);
  });

  it('does not echo a hostile voice back raw', async () => {
    const res = await app.inject(speech({ ...base, voice: 'af_\u0000\u001b[31m' }));
    const err = assertError(res, 400, 'voice');
    assert.doesNotMatch(err.message, /[\u0000-\u001f]/);
  });

  it('maps OpenAI voice names and accepts mixes, instructions and a voice object', async () => {
    for (const [voice, want] of [['alloy', 'af_alloy'], ['Echo', 'am_echo'], ['fable', 'bm_fable'], ['af_bella(2)+am_adam(1)', 'af_bella(2)+am_adam(1)'], ['alloy+af_heart', 'af_alloy+af_heart']] as const) {
      const res = await app.inject(speech({ ...base, voice, instructions: 'cheerful', response_format: 'pcm' }));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(source.jobs.at(-1)!.voice, want);
    }
    const res = await app.inject(speech({ ...base, voice: { id: 'nova' } }));
    // nova maps to af_nova, which this voice set lacks: the message says so.
    assertError(res, 400, 'voice');
    const british = await app.inject(speech({ ...base, voice: 'bf_emma', speed: 1.5 }));
    assert.equal(british.statusCode, 200);
    assert.equal(source.jobs.at(-1)!.lang, 'en-gb');
    assert.equal(source.jobs.at(-1)!.speed, 1.5);
  });

  it('415 for a body that is not JSON', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/audio/speech', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    assertError(res, 415);
    const form = await app.inject({ method: 'POST', url: '/v1/audio/speech', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=b' });
    assertError(form, 415);
  });

  it('413 for a body over the limit', async () => {
    const small = testApp({ env: { BODY_LIMIT_BYTES: '2048' } });
    const res = await small.app.inject(speech({ ...base, input: 'a'.repeat(4000) }));
    const err = assertError(res, 413);
    assert.equal(err.code, 'request_too_large');
  });
});

describe('responses', () => {
  it('streams chunked audio with the format Content-Type by default', async () => {
    const { app, encoders } = testApp({ source: { chunks: 3 } });
    const res = await app.inject(speech({ ...base, response_format: 'mp3' }));
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'audio/mpeg');
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.equal(res.headers['content-length'], undefined);
    assert.deepEqual(res.rawPayload, expectedPcm(3));
    assert.equal(encoders.created[0]!.options.streaming, true);
    assert.equal(encoders.created[0]!.format, 'mp3');
  });

  it('defaults to mp3 and sends each format its Content-Type', async () => {
    const { app } = testApp({ source: { chunks: 1 } });
    const want = { mp3: 'audio/mpeg', opus: 'audio/ogg', aac: 'audio/aac', flac: 'audio/flac', wav: 'audio/wav', pcm: 'audio/pcm' };
    assert.equal((await app.inject(speech(base))).headers['content-type'], 'audio/mpeg');
    for (const [format, type] of Object.entries(want)) {
      const res = await app.inject(speech({ ...base, response_format: format }));
      assert.equal(String(res.headers['content-type']).split(';')[0], type);
    }
  });

  it('stream:false returns the whole file with Content-Length', async () => {
    const { app, encoders } = testApp({ source: { chunks: 4 } });
    const res = await app.inject(speech({ ...base, response_format: 'wav', stream: false }));
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-length'], String(expectedPcm(4).length));
    assert.equal(res.headers['transfer-encoding'], undefined);
    assert.deepEqual(res.rawPayload, expectedPcm(4));
    assert.equal(encoders.created[0]!.options.streaming, false);
  });

  it('SSE: delta events with base64 audio, then one done event with usage', async () => {
    const { app } = testApp({ source: { chunks: 3 } });
    const res = await app.inject(speech({ ...base, response_format: 'pcm', stream_format: 'sse', input: 'Twelve chars' }));
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    const events = res.body.split('\n\n').filter((b) => b.length > 0).map((b) => {
      assert.match(b, /^data: /);
      return JSON.parse(b.slice(6));
    });
    const deltas = events.slice(0, -1);
    assert.ok(deltas.length >= 1);
    for (const d of deltas) assert.deepEqual(Object.keys(d).sort(), ['audio', 'type']), assert.equal(d.type, 'speech.audio.delta');
    assert.deepEqual(Buffer.concat(deltas.map((d) => Buffer.from(d.audio, 'base64'))), expectedPcm(3));
    const done = events.at(-1);
    assert.equal(done.type, 'speech.audio.done');
    // 3 chunks of 2400 samples = 0.3 s = 15 output tokens of 20 ms; input tokens from the engine.
    assert.deepEqual(done.usage, { input_tokens: 12, output_tokens: 15, total_tokens: 27 });
  });

  it('an encoder that dies before the first byte is replaced: output still complete', async () => {
    const { app, encoders, metrics } = testApp({ source: { chunks: 5 }, plans: [{ holdWrites: 99, dieAfterWrites: 3 }] });
    const res = await app.inject(speech({ ...base, response_format: 'opus' }));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.rawPayload, expectedPcm(5));
    assert.equal(encoders.created.length, 2);
    await settle();
    assert.match(await metrics.registry.metrics(), /kokoro_encoder_replacements_total\{format="opus"\} 1/);
  });
});

describe('errors from admission, the source and the server', () => {
  it('429 and 503 carry Retry-After', async () => {
    const t = testApp();
    t.admission.reject = new SpeechError('busy', 'Too many requests queued.', { retryAfterS: 2.5 });
    const r429 = await t.app.inject(speech(base));
    assertError(r429, 429);
    assert.equal(r429.headers['retry-after'], '3');
    t.admission.reject = new SpeechError('unavailable', 'No engine ready.', { retryAfterS: 10 });
    const r503 = await t.app.inject(speech(base));
    assertError(r503, 503);
    assert.equal(r503.headers['retry-after'], '10');
  });

  it('a source failure before any byte is that error, with its status', async () => {
    const t = testApp({ source: { failAfter: 0, failWith: new SpeechError('unavailable', 'All engines are down.', { retryAfterS: 4 }) } });
    const res = await t.app.inject(speech(base));
    const err = assertError(res, 503);
    assert.equal(err.message, 'All engines are down.');
    assert.equal(res.headers['retry-after'], '4');
    assert.equal(t.admission.released, 1);
  });

  it('500 leaks no internals', async () => {
    const t = testApp({ source: { failAfter: 0, failWith: new Error('ENOENT /secret/path/model.onnx') } });
    const res = await t.app.inject(speech(base));
    const err = assertError(res, 500);
    assert.equal(err.type, 'server_error');
    assert.doesNotMatch(res.body, /secret|ENOENT|onnx|at /);
  });
});

describe('routes, methods and auth', () => {
  it('404 for an unknown route, 405 with Allow for a wrong method', async () => {
    const { app } = testApp();
    assertError(await app.inject({ method: 'GET', url: '/v1/nothing' }), 404);
    const r405 = await app.inject({ method: 'GET', url: '/v1/audio/speech' });
    assertError(r405, 405);
    assert.equal(r405.headers['allow'], 'POST');
    const h405 = await app.inject({ method: 'DELETE', url: '/health' });
    assertError(h405, 405);
    assert.equal(h405.headers['allow'], 'GET, HEAD');
  });

  it('GET /v1/models lists the accepted models in OpenAI list shape', async () => {
    const { app } = testApp();
    const body = (await app.inject({ method: 'GET', url: '/v1/models' })).json();
    assert.equal(body.object, 'list');
    assert.deepEqual(body.data.map((m: { id: string }) => m.id), ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts', 'kokoro']);
    for (const m of body.data) assert.deepEqual(Object.keys(m).sort(), ['created', 'id', 'object', 'owned_by']);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/models/kokoro' })).json().id, 'kokoro');
    assertError(await app.inject({ method: 'GET', url: '/v1/models/whisper-1' }), 404, 'model');
  });

  it('GET /v1/audio/voices lists every voice (all languages are spoken)', async () => {
    const { app } = testApp();
    const body = (await app.inject({ method: 'GET', url: '/v1/audio/voices' })).json();
    assert.deepEqual(body.voices.map((v: { id: string }) => v.id), ['af_heart', 'af_alloy', 'af_bella', 'am_adam', 'am_echo', 'bm_fable', 'bf_emma', 'ef_dora', 'ff_siwis', 'jf_alpha', 'zf_xiaobei']);
  });

  it('GET /v1/engines returns the supervisor rows', async () => {
    const rows = [{ id: 'e0', pid: 1, state: 'ready' }];
    const { app } = testApp({ engines: () => rows });
    assert.deepEqual((await app.inject({ method: 'GET', url: '/v1/engines' })).json(), { engines: rows });
    const bare = testApp();
    assert.deepEqual((await bare.app.inject({ method: 'GET', url: '/v1/engines' })).json(), { engines: [] });
  });

  it('/health is 200; /ready follows deps.ready with 503 and Retry-After', async () => {
    const t = testApp({ ready: false });
    assert.equal((await t.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    const notReady = await t.app.inject({ method: 'GET', url: '/ready' });
    assertError(notReady, 503);
    assert.equal(notReady.headers['retry-after'], '5');
    t.setReady(true);
    assert.equal((await t.app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
  });

  it('/metrics is Prometheus text with request, latency and process metrics', async () => {
    const { app } = testApp({ source: { chunks: 2 } });
    await app.inject(speech({ ...base, response_format: 'flac' }));
    await app.inject(speech({ ...base, model: 'nope' }));
    await settle();
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.match(res.body, /kokoro_speech_requests_total\{format="flac",status="200",outcome="ok"\} 1/);
    assert.match(res.body, /kokoro_speech_requests_total\{format="unknown",status="400",outcome="client_error"\} 1/);
    assert.match(res.body, /kokoro_speech_first_byte_seconds_count\{format="flac"\} 1/);
    assert.match(res.body, /kokoro_audio_seconds_total\{format="flac"\} 0\.2/);
    assert.match(res.body, /process_cpu_user_seconds_total/);
    // Refused before the handler ran (media type): still counted.
    await app.inject({ method: 'POST', url: '/v1/audio/speech', headers: { 'content-type': 'text/plain' }, payload: 'hi' });
    await settle();
    assert.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /kokoro_speech_requests_total\{format="unknown",status="415",outcome="client_error"\} 1/);
  });

  it('with API keys: 401 without or with a wrong Bearer key; probes stay open; the key is never echoed', async () => {
    const { app } = testApp({ env: { API_KEYS: 'sk-one,sk-two' } });
    const none = await app.inject(speech(base));
    assert.equal(assertError(none, 401).code, 'invalid_api_key');
    const wrong = await app.inject(speech(base, { authorization: 'Bearer sk-three' }));
    assertError(wrong, 401);
    assert.doesNotMatch(wrong.body, /sk-/);
    assertError(await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Basic sk-one' } }), 401);
    assert.equal((await app.inject(speech({ ...base, response_format: 'pcm' }, { authorization: 'Bearer sk-two' }))).statusCode, 200);
    for (const url of ['/health', '/ready', '/metrics']) assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
  });

  it('X-Request-Id: honoured when safe, sanitized and bounded, generated otherwise', async () => {
    const { app, source } = testApp();
    const given = await app.inject(speech({ ...base, response_format: 'pcm' }, { 'x-request-id': 'abc-123' }));
    assert.equal(given.headers['x-request-id'], 'abc-123');
    assert.equal(source.jobs.at(-1)!.requestId, 'abc-123');
    const hostile = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'a b<script>' + 'x'.repeat(300) } });
    const id = String(hostile.headers['x-request-id']);
    assert.match(id, /^[A-Za-z0-9._:-]{1,128}$/);
    assert.ok(id.startsWith('abscriptx'));
    const generated = await app.inject({ method: 'GET', url: '/nope' });
    assert.match(String(generated.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    const errors = await app.inject(speech({ ...base, model: 'x' }, { 'x-request-id': 'err-1' }));
    assert.equal(errors.headers['x-request-id'], 'err-1');
  });
});
