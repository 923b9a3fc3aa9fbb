// Compatibility with what clients of OpenAI and Kokoro-FastAPI send and read: listings in the
// shapes Open WebUI reads, every OpenAI speech model name, `instructions`, and Kokoro-FastAPI's
// request extensions (lang_code, volume_multiplier, normalization_options, download links),
// and the configurable OpenAI voice table (VOICE_MAP).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkVoiceMap, KOKORO_FASTAPI_VOICES, OPENAI_VOICES, resolveVoice } from '../../gateway/http/voice-map.js';
import type { ApiError } from '../../gateway/http/api-error.js';
import { isSpeechModel } from '../../gateway/http/speech-request.js';
import { applyGain } from '../../gateway/speech/gain.js';
import { listVoiceNames } from '../../engine/voices.js';
import { devModelsDir } from '../../models/paths.js';
import { SettingsError } from '../../settings/reader.js';
import { expectedPcm } from './fakes.js';
import { base, speech, testApp, VOICES } from './helpers.js';

type Inject = Awaited<ReturnType<ReturnType<typeof testApp>['app']['inject']>>;

function error400(res: Inject, param: string | null): string {
  assert.equal(res.statusCode, 400, res.body);
  const { error } = res.json();
  assert.equal(error.type, 'invalid_request_error');
  assert.equal(error.param, param);
  return error.message as string;
}

const get = (url: string, headers: Record<string, string> = {}) => ({ method: 'GET' as const, url, headers });
const SPOKEN = VOICES;
const SUPPORTED = "supported: 'a'/'en-us', 'b'/'en-gb', 'e'/'es', 'f'/'fr-fr', 'h'/'hi', 'i'/'it', 'p'/'pt-br', 'j'/'ja', 'z'/'zh'";

describe('listings', () => {
  const { app } = testApp();

  it('GET /v1/audio/voices: objects with id, name, language and gender', async () => {
    const body = (await app.inject(get('/v1/audio/voices'))).json();
    assert.deepEqual(Object.keys(body), ['voices']);
    assert.deepEqual(body.voices.map((v: { id: string }) => v.id), SPOKEN);
    assert.deepEqual(body.voices[0], { id: 'af_heart', name: 'af_heart', language: 'en-us', gender: 'female' });
    assert.deepEqual(body.voices.find((v: { id: string }) => v.id === 'bm_fable'), { id: 'bm_fable', name: 'bm_fable', language: 'en-gb', gender: 'male' });
    assert.deepEqual(body.voices.find((v: { id: string }) => v.id === 'ff_siwis'), { id: 'ff_siwis', name: 'ff_siwis', language: 'fr-fr', gender: 'female' });
  });

  it('?all=true: every voice, each with `speakable` (all 54 are spoken now)', async () => {
    const body = (await app.inject(get('/v1/audio/voices?all=true'))).json();
    assert.deepEqual(body.voices.map((v: { id: string }) => v.id), VOICES);
    assert.deepEqual(body.voices.find((v: { id: string }) => v.id === 'zf_xiaobei'), { id: 'zf_xiaobei', name: 'zf_xiaobei', language: 'zh', gender: 'female', speakable: true });
    assert.equal(body.voices.find((v: { id: string }) => v.id === 'jf_alpha').speakable, true);
    assert.equal(body.voices.find((v: { id: string }) => v.id === 'ef_dora').speakable, true);
    assert.equal((await app.inject(get('/v1/audio/voices?all=true&legacy=true'))).body, JSON.stringify({ voices: VOICES }));
  });

  it('?legacy=true: the plain names, byte for byte as before', async () => {
    const res = await app.inject(get('/v1/audio/voices?legacy=true'));
    assert.equal(res.body, JSON.stringify({ voices: SPOKEN }));
    assert.equal((await app.inject(get('/v1/audio/voices?legacy=false'))).json().voices[0].id, 'af_heart');
  });

  it('GET /v1/audio/models: OpenAI `data` and Open WebUI `models[].id`; /v1/models unchanged', async () => {
    const body = (await app.inject(get('/v1/audio/models'))).json();
    const want = ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts', 'kokoro'];
    assert.equal(body.object, 'list');
    assert.deepEqual(body.data.map((m: { id: string }) => m.id), want);
    assert.deepEqual(body.models.map((m: { id: string }) => m.id), want);
    assert.deepEqual((await app.inject(get('/v1/models'))).json().data.map((m: { id: string }) => m.id), want);
    assert.equal((await app.inject(get('/v1/models/gpt-4o-mini-tts-2025-12-15'))).json().id, 'gpt-4o-mini-tts-2025-12-15');
    assert.equal((await app.inject(get('/v1/models/gpt-4o'))).statusCode, 404);
  });

  it('with keys: 401 without a key unless LISTINGS_PUBLIC; speech and engines stay closed', async () => {
    const closed = testApp({ env: { API_KEYS: 'sk-a' } });
    const open = testApp({ env: { API_KEYS: 'sk-a', LISTINGS_PUBLIC: 'true' } });
    for (const url of ['/v1/audio/voices', '/v1/audio/models', '/v1/models', '/v1/audio/voices?legacy=true']) {
      assert.equal((await closed.app.inject(get(url))).statusCode, 401, url);
      assert.equal((await closed.app.inject(get(url, { authorization: 'Bearer sk-a' }))).statusCode, 200, url);
      assert.equal((await open.app.inject(get(url))).statusCode, 200, url);
    }
    assert.equal((await open.app.inject(get('/v1/engines'))).statusCode, 401);
    assert.equal((await open.app.inject(speech(base))).statusCode, 401);
  });
});

describe('model names and instructions', () => {
  const { app, source } = testApp({ env: { MAX_INPUT_CHARS: '100' } });

  it('accepts every OpenAI speech model name, dated and future ones, and logs the name asked for', async () => {
    for (const model of ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts', 'kokoro', 'gpt-4o-mini-tts-2025-12-15', 'tts-1-1106', 'tts-1-hd-1106', 'gpt-5-tts', 'gpt-4o-tts', 'TTS-1']) {
      const res = await app.inject(speech({ ...base, model, response_format: 'pcm' }));
      assert.equal(res.statusCode, 200, `${model}: ${res.body}`);
    }
    assert.equal(source.jobs.length, 10);
  });

  it('refuses names that are not speech models', async () => {
    for (const model of ['gpt-4o', 'whisper-1', '', 'gpt-4o-transcribe', 'attsx', 'tts 1', 'x'.repeat(70) + '-tts']) {
      const msg = error400(await app.inject(speech({ ...base, model })), 'model');
      assert.match(msg, /not a speech model|tts/);
    }
    error400(await app.inject(speech({ ...base, model: 7 })), 'model');
    assert.equal(isSpeechModel('gpt-4o-mini-tts-2025-12-15'), true);
  });

  it('instructions: accepted (not applied) up to 4096 characters, else 400', async () => {
    assert.equal((await app.inject(speech({ ...base, instructions: 'Speak calmly', response_format: 'pcm' }))).statusCode, 200);
    assert.equal((await app.inject(speech({ ...base, instructions: 'x'.repeat(4096), response_format: 'pcm' }))).statusCode, 200);
    assert.equal(source.jobs.at(-1)!.text, base.input, 'instructions never reach the text');
    assert.match(error400(await app.inject(speech({ ...base, instructions: 'x'.repeat(4097) })), 'instructions'), /4096/);
  });

  it("stream_format 'audio' and 'sse'", async () => {
    const audio = await app.inject(speech({ ...base, stream_format: 'audio', response_format: 'pcm' }));
    assert.match(String(audio.headers['content-type']), /^audio\/pcm/);
    const sse = await app.inject(speech({ ...base, stream_format: 'sse', response_format: 'pcm' }));
    assert.match(String(sse.headers['content-type']), /^text\/event-stream/);
  });

  it('unknown top-level fields are ignored, as before', async () => {
    assert.equal((await app.inject(speech({ ...base, response_format: 'pcm', user: 'u1', seed: 3 }))).statusCode, 200);
  });
});

describe("Kokoro-FastAPI's request extensions", () => {
  const { app, source } = testApp({ source: { chunks: 3 } });

  it('lang_code: a/en-us and b/en-gb (any case) set the language', async () => {
    for (const [code, lang] of [['a', 'en-us'], ['A', 'en-us'], ['en-US', 'en-us'], ['b', 'en-gb'], ['en-gb', 'en-gb']] as const) {
      const res = await app.inject(speech({ ...base, lang_code: code, response_format: 'pcm' }));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(source.jobs.at(-1)!.lang, lang, code);
    }
    await app.inject(speech({ ...base, voice: 'bf_emma', response_format: 'pcm' }));
    assert.equal(source.jobs.at(-1)!.lang, 'en-gb', 'default: the voice prefix');
  });

  it('lang_code: the espeak languages by letter or tag (any voice may read them)', async () => {
    const codes = [['e', 'es'], ['es', 'es'], ['ES-es', 'es'], ['f', 'fr-fr'], ['fr', 'fr-fr'], ['fr-FR', 'fr-fr'], ['h', 'hi'], ['hi', 'hi'],
      ['i', 'it'], ['it', 'it'], ['p', 'pt-br'], ['pt', 'pt-br'], ['pt-BR', 'pt-br'], ['pt_br', 'pt-br'],
      ['z', 'zh'], ['zh', 'zh'], ['zh-CN', 'zh'], ['cmn', 'zh']] as const;
    for (const [code, lang] of codes) {
      const res = await app.inject(speech({ ...base, lang_code: code, response_format: 'pcm' }));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(source.jobs.at(-1)!.lang, lang, code);
    }
    for (const [voice, lang] of [['ef_dora', 'es'], ['ff_siwis', 'fr-fr']] as const) {
      assert.equal((await app.inject(speech({ ...base, voice, response_format: 'pcm' }))).statusCode, 200);
      assert.equal(source.jobs.at(-1)!.lang, lang, `default from ${voice}`);
    }
    // A zh voice reads a language that is spoken when lang_code names it.
    assert.equal((await app.inject(speech({ ...base, voice: 'zf_xiaobei', lang_code: 'e', response_format: 'pcm' }))).statusCode, 200);
    assert.equal(source.jobs.at(-1)!.lang, 'es');
  });

  it('lang_code: Japanese by letter or tag, and from a j* voice', async () => {
    for (const code of ['j', 'ja', 'JA-jp', 'ja_jp']) {
      const res = await app.inject(speech({ ...base, lang_code: code, response_format: 'pcm' }));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(source.jobs.at(-1)!.lang, 'ja', code);
    }
    assert.equal((await app.inject(speech({ ...base, voice: 'jf_alpha', response_format: 'pcm' }))).statusCode, 200);
    assert.equal(source.jobs.at(-1)!.lang, 'ja', 'default from jf_alpha');
  });

  it("lang_code: a code that names no Kokoro language is a clear 400 naming what is supported", async () => {
    for (const code of ['xx', 'de', 'ko', 'zh-tw-x']) {
      assert.match(error400(await app.inject(speech({ ...base, lang_code: code })), 'lang_code'), new RegExp(`'${code}' is not a Kokoro language; ${SUPPORTED}`));
    }
    error400(await app.inject(speech({ ...base, lang_code: 1 })), 'lang_code');
  });

  it('a mix of American and British voices is one language: the first voice sets the accent', async () => {
    await app.inject(speech({ ...base, voice: 'bf_emma+af_heart', response_format: 'pcm' }));
    assert.equal(source.jobs.at(-1)!.lang, 'en-gb');
    await app.inject(speech({ ...base, voice: 'af_heart+bf_emma', response_format: 'pcm' }));
    assert.equal(source.jobs.at(-1)!.lang, 'en-us');
    await app.inject(speech({ ...base, voice: 'af_heart+bf_emma', lang_code: 'b', response_format: 'pcm' }));
    assert.equal(source.jobs.at(-1)!.lang, 'en-gb');
    // A mix of languages without lang_code is refused by name; with it, it reads that language.
    for (const voice of ['af_heart+jf_alpha', 'af_heart+ef_dora', 'ef_dora+ff_siwis']) {
      assert.match(error400(await app.inject(speech({ ...base, voice })), 'voice'), /different languages; name the language with 'lang_code'/, voice);
    }
    assert.equal((await app.inject(speech({ ...base, voice: 'ef_dora+ff_siwis', lang_code: 'f', response_format: 'pcm' }))).statusCode, 200);
    assert.equal(source.jobs.at(-1)!.lang, 'fr-fr');
    const known = new Set(['af_heart', 'bf_emma', 'jf_alpha']);
    assert.throws(() => resolveVoice('af_heart+jf_alpha', known), (e: ApiError) => e.status === 400 && /different languages; name the language with 'lang_code'/.test(e.message));
    assert.equal(resolveVoice('bf_emma+af_heart', known).lang, 'en-gb');
  });

  it('volume_multiplier: a gain on the samples (0.5 halves them), bounds checked', async () => {
    const half = await app.inject(speech({ ...base, volume_multiplier: 0.5, response_format: 'pcm' }));
    assert.equal(half.statusCode, 200);
    assert.equal(source.jobs.at(-1)!.volume, 0.5);
    const full = expectedPcm(3);
    const ref = new Int16Array(full.buffer, full.byteOffset, full.length / 2);
    const got = new Int16Array(half.rawPayload.buffer, half.rawPayload.byteOffset, half.rawPayload.length / 2);
    assert.equal(got.length, ref.length);
    for (let i = 0; i < ref.length; i++) assert.equal(got[i], Math.round(ref[i]! * 0.5), `sample ${i}`);
    const one = await app.inject(speech({ ...base, volume_multiplier: 1, response_format: 'pcm' }));
    assert.deepEqual(one.rawPayload, full);
    const loud = await app.inject(speech({ ...base, volume_multiplier: 4, response_format: 'pcm', stream: false }));
    assert.equal(loud.statusCode, 200);
    for (const bad of [0, -1, 4.01, 100]) assert.match(error400(await app.inject(speech({ ...base, volume_multiplier: bad })), 'volume_multiplier'), /above 0 and at most 4/);
    error400(await app.inject(speech({ ...base, volume_multiplier: '2' })), 'volume_multiplier');
  });

  it('the gain rounds and clips to the s16 range', () => {
    assert.deepEqual([...applyGain(Int16Array.from([30000, -30000, 100, -101, 16383, 0]), 2)], [32767, -32768, 200, -202, 32766, 0]);
    assert.deepEqual([...applyGain(Int16Array.from([3, -3, 32767]), 0.5)], [2, -1, 16384]);
    const same = Int16Array.from([1, 2]);
    assert.equal(applyGain(same, 1), same);
  });

  it('normalization_options: our behaviour is accepted, what we cannot honour is a 400 naming it', async () => {
    const ok = { normalize: true, unit_normalization: true, url_normalization: true, email_normalization: true, phone_normalization: true, replace_remaining_symbols: true, optional_pluralization_normalization: false };
    assert.equal((await app.inject(speech({ ...base, normalization_options: ok, response_format: 'pcm' }))).statusCode, 200);
    assert.equal((await app.inject(speech({ ...base, normalization_options: {}, response_format: 'pcm' }))).statusCode, 200);
    for (const key of ['normalize', 'unit_normalization', 'url_normalization', 'email_normalization', 'phone_normalization', 'replace_remaining_symbols']) {
      const msg = error400(await app.inject(speech({ ...base, normalization_options: { [key]: false } })), 'normalization_options');
      assert.match(msg, new RegExp(`^normalization_options\\.${key}=false is not supported: `));
    }
    assert.match(error400(await app.inject(speech({ ...base, normalization_options: { lowercase: true } })), 'normalization_options'), /Unknown field 'normalization_options\.lowercase'/);
    error400(await app.inject(speech({ ...base, normalization_options: { normalize: 'yes' } })), 'normalization_options.normalize');
    error400(await app.inject(speech({ ...base, normalization_options: [] })), 'normalization_options');
  });

  it('optional_pluralization_normalization: true reads "file(s)" as "files"; otherwise the text is untouched', async () => {
    const input = 'Send the file(s) and (s) now.';
    await app.inject(speech({ ...base, input, normalization_options: { optional_pluralization_normalization: true }, response_format: 'pcm' }));
    assert.equal(source.jobs.at(-1)!.text, 'Send the files and (s) now.');
    await app.inject(speech({ ...base, input, response_format: 'pcm' }));
    assert.equal(source.jobs.at(-1)!.text, input);
  });

  it('return_download_link: true is honoured (test/http/download-links.test.ts); false and a valid download_format are accepted', async () => {
    assert.equal((await app.inject(speech({ ...base, return_download_link: false, download_format: 'wav', response_format: 'pcm' }))).statusCode, 200);
    error400(await app.inject(speech({ ...base, download_format: 'ogg' })), 'download_format');
    error400(await app.inject(speech({ ...base, return_download_link: 'yes' })), 'return_download_link');
  });
});

describe('VOICE_MAP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'voice-map-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ours by default; kokoro-fastapi maps echo to af_bella', async () => {
    const ours = testApp();
    await ours.app.inject(speech({ ...base, voice: 'echo', response_format: 'pcm' }));
    assert.equal(ours.source.jobs.at(-1)!.voice, 'am_echo');
    const kf = testApp({ env: { VOICE_MAP: 'kokoro-fastapi' } });
    await kf.app.inject(speech({ ...base, voice: 'echo', response_format: 'pcm' }));
    assert.equal(kf.source.jobs.at(-1)!.voice, 'af_bella');
    await kf.app.inject(speech({ ...base, voice: 'Coral', response_format: 'pcm' }));
    assert.equal(kf.source.jobs.at(-1)!.voice, 'bf_emma');
    // Not in Kokoro-FastAPI's table: a plain (unknown) voice name.
    error400(await kf.app.inject(speech({ ...base, voice: 'verse' })), 'voice');
  });

  it('a JSON file: names to voices or mixes', async () => {
    const file = join(dir, 'map.json');
    writeFileSync(file, JSON.stringify({ alloy: 'af_heart', Narrator: 'af_bella(2)+am_adam(1)' }));
    const t = testApp({ env: { VOICE_MAP: file } });
    await t.app.inject(speech({ ...base, voice: 'alloy', response_format: 'pcm' }));
    assert.equal(t.source.jobs.at(-1)!.voice, 'af_heart');
    await t.app.inject(speech({ ...base, voice: 'narrator', response_format: 'pcm' }));
    assert.equal(t.source.jobs.at(-1)!.voice, 'af_bella(2)+am_adam(1)');
    await t.app.inject(speech({ ...base, voice: 'alloy(1)+af_bella(1)', response_format: 'pcm' }));
    assert.equal(t.source.jobs.at(-1)!.voice, 'af_heart(1)+af_bella(1)');
    assert.match(error400(await t.app.inject(speech({ ...base, voice: 'narrator+af_heart' })), 'voice'), /stands for a mix/);
  });

  it('bad values fail at load with the variable named', () => {
    const bad = join(dir, 'bad.json');
    for (const [content, re] of [['[1]', /JSON object/], ['{"alloy": 3}', /'alloy' must map to a Kokoro voice/], ['{"a-b": "af_heart"}', /letters, digits/], ['{', /readable JSON/]] as const) {
      writeFileSync(bad, content);
      assert.throws(() => testApp({ env: { VOICE_MAP: bad } }), (e: unknown) => e instanceof SettingsError && /^VOICE_MAP /.test(e.message) && re.test(e.message), content);
    }
    assert.throws(() => testApp({ env: { VOICE_MAP: 'nope' } }), /VOICE_MAP is neither ours nor kokoro-fastapi nor a readable JSON file \(ENOENT\)/);
  });

  it('both presets name only voices that exist in the Kokoro v1.0 voices directory', () => {
    const names = listVoiceNames(join(devModelsDir(), 'voices'));
    checkVoiceMap(OPENAI_VOICES, names);
    checkVoiceMap(KOKORO_FASTAPI_VOICES, names);
    assert.deepEqual({ ...KOKORO_FASTAPI_VOICES }, { alloy: 'am_adam', ash: 'af_nicole', coral: 'bf_emma', echo: 'af_bella', fable: 'af_sarah', onyx: 'bm_george', nova: 'bf_isabella', sage: 'am_michael', shimmer: 'af_sky' });
    assert.throws(() => checkVoiceMap({ alloy: 'am_v0adam', nova: 'af_bella(1)+af_nobody(1)' }, names), /VOICE_MAP maps to voices that are not in the voices directory: alloy→am_v0adam, nova→af_nobody/);
  });

  it('the gateway refuses to start with a table naming a missing voice', () => {
    const file = join(dir, 'missing.json');
    writeFileSync(file, JSON.stringify({ alloy: 'am_v0adam' }));
    const main = fileURLToPath(new URL('../../gateway/main.js', import.meta.url));
    const r = spawnSync(process.execPath, [main], {
      env: { ...process.env, VOICE_MAP: file, ENGINES: '0', ENGINE_URLS: 'http://127.0.0.1:9', PORT: '0', ENCODER_POOL: '0', LOG_LEVEL: 'warn' },
      encoding: 'utf8', timeout: 60_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /gateway failed to start: VOICE_MAP maps to voices that are not in the voices directory: alloy→am_v0adam/);
  });
});
