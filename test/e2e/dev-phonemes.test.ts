// Kokoro-FastAPI's pronunciation routes through the real gateway (one CPU engine, the real
// model, an API key): POST /dev/phonemize gives the phonemes and token ids the model is fed,
// POST /dev/generate_from_phonemes speaks phonemes through the speech pipeline in every way the
// speech route answers (wav by default, whole files, SSE), and a round trip (phonemize a text,
// speak those phonemes) sounds as long as /v1/audio/speech for the same text. The chunk cache
// is off so the phonemes' audio is really synthesized, not served from the text's cached chunks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeToPcm } from '../../harness/audio/index.js';
import { SAMPLE_RATE } from '../../protocol/constants.js';
import { modelsDir, startGateway, type GatewayProcess } from '../support/gateway-process.js';

const KEY = 'dev-phonemes-test-key-0123456789';
const MAX_CHARS = 2000;
const VOCAB = (JSON.parse(readFileSync(join(modelsDir, 'config.json'), 'utf8')) as { vocab: Record<string, number> }).vocab;

const TEXT = 'The morning train left the station a few minutes late. Most passengers were still half asleep, holding cups of coffee.';

interface Answer { status: number; headers: Headers; body: Buffer }

describe('/dev/phonemize and /dev/generate_from_phonemes through the real gateway', { timeout: 300_000 }, () => {
  let gw: GatewayProcess | undefined;

  const post = async (path: string, body: unknown, key: string | null = KEY): Promise<Answer> => {
    const res = await fetch(`${gw!.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };
  const json = <T>(a: Answer) => JSON.parse(a.body.toString()) as T;
  type ApiErr = { error: { message: string; type: string; param: string | null; code: string | null } };
  const phonemize = async (text: string, language?: string) => {
    const r = await post('/dev/phonemize', { text, ...(language ? { language } : {}) });
    assert.equal(r.status, 200, r.body.toString());
    return json<{ phonemes: string; tokens: number[] }>(r);
  };

  before(async () => {
    gw = await startGateway({
      engines: 1, apiKey: KEY,
      env: { LOG_LEVEL: 'warn', API_KEYS: KEY, CACHE_MB: '0', MAX_INPUT_CHARS: String(MAX_CHARS) },
    });
  });
  after(async () => {
    const r = await gw?.stop(20_000);
    assert.deepEqual(r?.survivors ?? [], [], 'no engine outlives the gateway');
  });

  it('phonemize: the phonemes of the text and one vocabulary id per phoneme character', async () => {
    const r = await phonemize('Hello there, world.');
    assert.equal(r.phonemes, 'həlˈO ðˈɛɹ, wˈɜɹld.');
    assert.deepEqual(r.tokens, [...r.phonemes].map((c) => VOCAB[c]));
  });

  it('phonemize: language is Kokoro-FastAPI\'s code or a tag (default American English)', async () => {
    const us = await phonemize('tomato');
    const gb = await phonemize('tomato', 'b');
    assert.equal((await phonemize('tomato', 'a')).phonemes, us.phonemes);
    assert.notEqual(gb.phonemes, us.phonemes, 'British and American tomato differ');
    assert.equal((await phonemize('tomato', 'en-GB')).phonemes, gb.phonemes);
    const es = await phonemize('Buenos días.', 'e');
    assert.match(es.phonemes, /bwˈenos/);
  });

  it('phonemize: bad input is a 400 in OpenAI\'s shape naming the field; no key is a 401', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ text: '' }, 'text', /must not be empty/],
      [{ text: '   ' }, 'text', /must not be empty/],
      [{}, 'text', /Missing required parameter/],
      [{ text: 5 }, 'text', /expected string/],
      [{ text: 'x'.repeat(MAX_CHARS + 1) }, 'text', new RegExp(`the limit is ${MAX_CHARS}`)],
      [{ text: 'Hello.', language: 'xx' }, 'language', /not a Kokoro language/],
      [{ text: 'Hello.', language: 7 }, 'language', /expected string/],
    ];
    for (const [body, param, message] of cases) {
      const r = await post('/dev/phonemize', body);
      assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${r.body.toString()}`);
      const { error } = json<ApiErr>(r);
      assert.equal(error.param, param);
      assert.equal(error.type, 'invalid_request_error');
      assert.match(error.message, message);
    }
    const text = await post('/dev/phonemize', { text: '...' });
    assert.equal(text.status, 400, 'punctuation only has nothing to speak');
    assert.equal(json<ApiErr>(text).error.param, 'text');
    const anon = await post('/dev/phonemize', { text: 'Hello.' }, null);
    assert.equal(anon.status, 401);
    assert.equal(json<ApiErr>(anon).error.code, 'invalid_api_key');
    assert.equal((await post('/dev/generate_from_phonemes', { phonemes: 'hˈI', voice: 'af_heart' }, 'wrong-key-wrong-key')).status, 401);
  });

  it('generate_from_phonemes: wav by default (as Kokoro-FastAPI), speech of a plausible length', async () => {
    const r = await post('/dev/generate_from_phonemes', { phonemes: 'həlˈO ðˈɛɹ, wˈɜɹld.', voice: 'af_heart' });
    assert.equal(r.status, 200, r.body.toString().slice(0, 300));
    assert.equal(r.headers.get('content-type'), 'audio/wav');
    assert.equal(r.body.subarray(0, 4).toString(), 'RIFF');
    const secs = (await decodeToPcm(r.body, 'wav')).length / SAMPLE_RATE;
    assert.ok(secs > 0.8 && secs < 3, `${secs} s`);
  });

  it('round trip: phonemize a text, speak its phonemes: as long as /v1/audio/speech for the text, in several chunks', async (t) => {
    const { phonemes, tokens } = await phonemize(TEXT);
    // SSE, so the usage says how many tokens were planned (and the deltas are the pcm audio).
    const sse = await post('/dev/generate_from_phonemes', { phonemes, voice: 'am_adam', response_format: 'pcm', stream_format: 'sse' });
    assert.equal(sse.status, 200, sse.body.toString().slice(0, 300));
    assert.match(sse.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = sse.body.toString().split('\n\n').filter(Boolean).map((l) => JSON.parse(l.replace(/^data: /, '')) as { type: string; audio?: string; usage?: { input_tokens: number } });
    const done = events.at(-1)!;
    assert.equal(done.type, 'speech.audio.done');
    const planned = done.usage!.input_tokens;
    // Every phoneme character is a token, but the space where two chunks meet is not sent:
    // fewer tokens than characters means the plan had several chunks.
    assert.ok(planned < tokens.length && planned >= tokens.length - 10, `${planned} tokens planned of ${tokens.length}`);
    const pcm = events.filter((e) => e.type === 'speech.audio.delta').reduce((n, e) => n + Buffer.from(e.audio!, 'base64').length, 0);
    const fromText = await post('/v1/audio/speech', { model: 'tts-1', input: TEXT, voice: 'am_adam', response_format: 'pcm' });
    assert.equal(fromText.status, 200);
    const a = pcm / 2 / SAMPLE_RATE;
    const b = fromText.body.length / 2 / SAMPLE_RATE;
    t.diagnostic(`from phonemes ${a.toFixed(2)} s (${tokens.length - planned + 1} chunks), from text ${b.toFixed(2)} s`);
    assert.ok(a > 4, `${a} s from ${tokens.length} tokens`);
    assert.ok(Math.abs(a - b) / b < 0.1, `from phonemes ${a.toFixed(2)} s, from text ${b.toFixed(2)} s`);
  });

  it('generate_from_phonemes: a whole mp3 file with Content-Length (stream: false), speed and a voice mix', async () => {
    const r = await post('/dev/generate_from_phonemes', { phonemes: 'ɡʊd mˈɔɹnɪŋ.', voice: 'af_heart(2)+am_adam(1)', response_format: 'mp3', stream: false, speed: 1.5 });
    assert.equal(r.status, 200, r.body.toString().slice(0, 300));
    assert.equal(r.headers.get('content-type'), 'audio/mpeg');
    assert.equal(Number(r.headers.get('content-length')), r.body.length);
    const secs = (await decodeToPcm(r.body, 'mp3')).length / SAMPLE_RATE;
    assert.ok(secs > 0.3 && secs < 2, `${secs} s`);
  });

  it('return_download_link (real encoders): pcm streams out, the same speech is kept as an mp3 file at X-Download-Path', async () => {
    const r = await post('/v1/audio/speech', { model: 'tts-1', input: 'Good morning, everyone.', voice: 'af_heart', response_format: 'pcm', return_download_link: true, download_format: 'mp3' });
    assert.equal(r.status, 200);
    const path = r.headers.get('x-download-path') ?? '';
    assert.match(path, /^\/download\/[0-9a-f]{32}\.mp3$/);
    const res = await fetch(`${gw!.url}/v1${path}`, { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'audio/mpeg');
    const mp3 = Buffer.from(await res.arrayBuffer());
    const secs = (await decodeToPcm(mp3, 'mp3')).length / SAMPLE_RATE;
    const streamed = r.body.length / 2 / SAMPLE_RATE;
    // A whole-file mp3 is trimmed by its encoder delay header; within 60 ms of the pcm.
    assert.ok(Math.abs(secs - streamed) < 0.06, `mp3 file ${secs.toFixed(3)} s, pcm ${streamed.toFixed(3)} s`);
    assert.equal((await fetch(`${gw!.url}/v1${path}`)).status, 401, 'the file needs the key too');
  });

  it('generate_from_phonemes: characters outside the vocabulary, and other bad input, are 400s naming the field', async () => {
    const bad = await post('/dev/generate_from_phonemes', { phonemes: 'hɛlo wɜrld ɫ 5', voice: 'af_heart' });
    assert.equal(bad.status, 400);
    const { error } = json<ApiErr>(bad);
    assert.equal(error.param, 'phonemes');
    assert.match(error.message, /outside Kokoro's phoneme vocabulary: "ɫ" \(U\+026B\), "5" \(U\+0035\)/);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ voice: 'af_heart' }, 'phonemes'],
      [{ phonemes: '', voice: 'af_heart' }, 'phonemes'],
      [{ phonemes: ['h'], voice: 'af_heart' }, 'phonemes'],
      [{ phonemes: 'ə'.repeat(MAX_CHARS + 1), voice: 'af_heart' }, 'phonemes'],
      [{ phonemes: 'hˈI' }, 'voice'],
      [{ phonemes: 'hˈI', voice: 'no_such_voice' }, 'voice'],
      [{ phonemes: 'hˈI', voice: 'af_heart', speed: 9 }, 'speed'],
      [{ phonemes: 'hˈI', voice: 'af_heart', response_format: 'ogg' }, 'response_format'],
      [{ phonemes: 'hˈI', voice: 'af_heart', model: 'gpt-4o' }, 'model'],
    ];
    for (const [body, param] of cases) {
      const r = await post('/dev/generate_from_phonemes', body);
      assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${r.body.toString()}`);
      assert.equal(json<ApiErr>(r).error.param, param, JSON.stringify(body).slice(0, 80));
    }
    // Only punctuation passes the vocabulary but has nothing to speak: the engine says so.
    const punct = await post('/dev/generate_from_phonemes', { phonemes: '. , !', voice: 'af_heart' });
    assert.equal(punct.status, 400, punct.body.toString());
    assert.equal(json<ApiErr>(punct).error.param, 'phonemes');
  });
});
