// The languages beyond English end to end: the real gateway (one CPU engine, real model) speaks
// es, fr-fr, hi, it, pt-br, ja and zh with each language's own voice (the language from the voice's
// prefix, and once through lang_code), lists all 54 voices with language and gender, and refuses
// a mix of languages without lang_code and a lang_code that names no Kokoro language.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SAMPLE_RATE } from '../../protocol/constants.js';
import { speech, startGateway, type GatewayProcess } from '../support/gateway-process.js';

const SENTENCES = [
  { lang: 'es', voice: 'ef_dora', text: 'Buenos días, ¿cómo estás? Hoy hace un tiempo estupendo.' },
  { lang: 'fr-fr', voice: 'ff_siwis', text: 'Bonjour à tous, nous partons demain matin pour Lyon.' },
  { lang: 'hi', voice: 'hf_alpha', text: 'नमस्ते, आज मौसम बहुत अच्छा है।' },
  { lang: 'it', voice: 'im_nicola', text: 'Buongiorno, oggi andiamo al mare con gli amici.' },
  { lang: 'pt-br', voice: 'pf_dora', text: 'Bom dia, hoje vamos ao mercado comprar frutas.' },
  { lang: 'zh', voice: 'zf_xiaobei', text: '你好，今天天气很好，我们下午三点一起去公园散步吧。' },
  { lang: 'ja', voice: 'jf_alpha', text: 'こんにちは、今日はいい天気ですね。明日は東京へ行きます。' },
] as const;

function samplesOf(body: Buffer): Int16Array {
  return new Int16Array(body.buffer.slice(body.byteOffset, body.byteOffset + (body.length & ~1)));
}

function rms(s: Int16Array): number {
  let sum = 0;
  for (const v of s) sum += v * v;
  return Math.sqrt(sum / Math.max(1, s.length));
}

/**
 * Seconds of speech per character (code points) must be plausible, and the audio not silent.
 * Japanese packs more sound into a character (a kanji is often two or three morae).
 */
function assertSpeech(body: Buffer, text: string, what: string): void {
  const s = samplesOf(body);
  const secs = s.length / SAMPLE_RATE;
  const perChar = secs / [...text].length;
  // A Chinese character is a syllable: far longer than a letter; Japanese packs more sound into a
  // character than a letter too (a kanji is often two or three morae).
  const [lo, hi] = what.startsWith('ja') ? [0.07, 0.35] : /[\u4e00-\u9fff]/u.test(text) ? [0.12, 0.5] : [0.04, 0.2];
  assert.ok(perChar >= lo && perChar <= hi, `${what}: ${secs.toFixed(2)} s for ${[...text].length} characters (${perChar.toFixed(3)} s/char)`);
  assert.ok(rms(s) > 300, `${what}: RMS ${rms(s).toFixed(0)} (silent?)`);
}

describe('languages beyond English through the real gateway', { timeout: 300_000 }, () => {
  let gw: GatewayProcess | undefined;

  before(async () => {
    gw = await startGateway({ engines: 1, env: { LOG_LEVEL: 'warn' } });
  });
  after(async () => {
    const r = await gw?.stop(20_000);
    assert.deepEqual(r?.survivors ?? [], [], 'no engine outlives the gateway');
  });

  it('GET /v1/audio/voices: all 54 voices with language and gender, every one speakable', async () => {
    type V = { id: string; language: string; gender: string; speakable?: boolean };
    const listed = ((await (await fetch(`${gw!.url}/v1/audio/voices`)).json()) as { voices: V[] }).voices;
    const all = ((await (await fetch(`${gw!.url}/v1/audio/voices?all=true`)).json()) as { voices: V[] }).voices;
    assert.equal(all.length, 54);
    assert.equal(listed.length, 54, 'a* 20, b* 8, e* 3, f* 1, h* 4, i* 2, p* 3, j* 5, z* 8');
    const byLang = (vs: V[]) => Object.fromEntries(['en-us', 'en-gb', 'es', 'fr-fr', 'hi', 'it', 'pt-br', 'ja', 'zh'].map((l) => [l, vs.filter((v) => v.language === l).length]));
    assert.deepEqual(byLang(listed), { 'en-us': 20, 'en-gb': 8, es: 3, 'fr-fr': 1, hi: 4, it: 2, 'pt-br': 3, ja: 5, zh: 8 });
    assert.deepEqual(byLang(all), { 'en-us': 20, 'en-gb': 8, es: 3, 'fr-fr': 1, hi: 4, it: 2, 'pt-br': 3, ja: 5, zh: 8 });
    assert.ok(all.every((v) => v.speakable === true && (v.gender === 'female' || v.gender === 'male')));
    assert.deepEqual(listed.find((v) => v.id === 'im_nicola'), { id: 'im_nicola', name: 'im_nicola', language: 'it', gender: 'male' });
  });

  for (const { lang, voice, text } of SENTENCES) {
    it(`${lang}: ${voice} speaks a sentence (language from the voice prefix)`, async () => {
      const r = await speech(gw!.url, { voice, input: text, response_format: 'pcm' });
      assert.equal(r.status, 200, r.body.toString().slice(0, 300));
      assertSpeech(r.body, text, lang);
    });
  }

  it('lang_code picks the language: a mix of an es and a pt-br voice reads Spanish with lang_code e', async () => {
    const text = 'La casa está al final de la calle.';
    const r = await speech(gw!.url, { voice: 'ef_dora+pf_dora', input: text, lang_code: 'e', response_format: 'pcm' });
    assert.equal(r.status, 200, r.body.toString().slice(0, 300));
    assertSpeech(r.body, text, 'es mix');
  });

  it("zh through lang_code 'z': a mix of a zh and an English voice reads Mandarin, numbers and dates too", async () => {
    const text = '会议定在2024年3月15日，大约有60%的人同意。';
    const r = await speech(gw!.url, { voice: 'zm_yunjian+af_heart', input: text, lang_code: 'z', response_format: 'pcm' });
    assert.equal(r.status, 200, r.body.toString().slice(0, 300));
    // The numbers are read out in full (二零二四年三月十五日, 百分之六十): about 27 syllables.
    assertSpeech(r.body, '会议定在二零二四年三月十五日，大约有百分之六十的人同意。', 'zh mix');
  });

  it('a mix of languages without lang_code is a 400 naming lang_code', async () => {
    const r = await speech(gw!.url, { voice: 'ef_dora+ff_siwis', input: 'Hola.' });
    assert.equal(r.status, 400);
    const { error } = JSON.parse(r.body.toString()) as { error: { param: string; message: string } };
    assert.equal(error.param, 'voice');
    assert.match(error.message, /different languages; name the language with 'lang_code'/);
  });

  it("lang_code 'j' reads Japanese with a voice of another language; a longer text comes back whole", async () => {
    const text = '駅の近くにある小さな喫茶店で、古い友達と久しぶりに会いました。2024年4月1日から、新しい仕事が始まります。';
    const r = await speech(gw!.url, { voice: 'af_heart', input: text, lang_code: 'j', response_format: 'pcm' });
    assert.equal(r.status, 200, r.body.toString().slice(0, 300));
    assertSpeech(r.body, text, 'ja with lang_code');
  });

  it('a lang_code that names no Kokoro language is a 400 listing the supported ones', async () => {
    const r = await speech(gw!.url, { voice: 'af_heart', input: 'Hallo.', lang_code: 'de' });
    assert.equal(r.status, 400);
    const { error } = JSON.parse(r.body.toString()) as { error: { param: string; message: string } };
    assert.equal(error.param, 'lang_code');
    assert.match(error.message, /is not a Kokoro language; supported: 'a'\/'en-us', 'b'\/'en-gb', 'e'\/'es', 'f'\/'fr-fr', 'h'\/'hi', 'i'\/'it', 'p'\/'pt-br', 'j'\/'ja', 'z'\/'zh'/);
  });
});
