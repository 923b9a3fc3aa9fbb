// The official openai SDK against the real gateway (real model, two CPU engines, real ffmpeg
// encoders): every format streamed and whole (`stream: false`), SSE events, a burst of 50
// mixed requests that must each get their own audio, and a client that hangs up mid-stream
// without leaving an encoder process behind.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { frameSamples, leadingSamples } from '../../audio/encode/index.js';
import { decodeToPcm } from '../../harness/audio/index.js';
import { childrenOf, sleep, startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { type AudioFormat } from '../../audio/encode/types.js';

const FORMATS: AudioFormat[] = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'];
const LOSSLESS = new Set<AudioFormat>(['flac', 'wav', 'pcm']);
const REQUEST_MS = 300_000;

// Ten short texts of clearly different spoken lengths (checked below), so that a response
// carrying another request's audio cannot pass the duration check.
const TEXTS = [
  'Yes.',
  'Thank you kindly.',
  'The kettle is boiling now.',
  'Please close the door behind you, Sam.',
  'We walked along the river until the sun went down.',
  'My grandmother kept bees, and every summer the garden hummed loudly.',
  'The library closes early on Fridays, so return your books before noon today.',
  'At the end of the long wooden pier an old man sold maps of islands that did not exist anywhere.',
  'The committee met three times in March, argued about the budget, and finally agreed to meet again.',
  'When the power failed, the whole street gathered outside, sharing candles and stories, and nobody looked at a screen until the lights came back after midnight.',
];
const FORMAT_TEXT = 'Every format should carry exactly the same words.';
const ABORT_TEXT = 'This request will be abandoned by its client long before the speech is finished, '
  + 'and the server must clean up the encoder and the engine work it started for it without leaving anything behind.';

type Params = OpenAI.Audio.SpeechCreateParams & { stream?: boolean };

function rms(samples: Int16Array): number {
  let s = 0;
  for (const v of samples) s += v * v;
  return Math.sqrt(s / Math.max(1, samples.length));
}

const pcmBytes = (s: Int16Array) => Buffer.from(s.buffer, s.byteOffset, s.byteLength);

describe('official openai SDK against the real gateway', { timeout: 1_200_000 }, () => {
  let gw: GatewayProcess | undefined;
  let client: OpenAI;
  const refs = new Map<string, Int16Array>(); // voice|text -> pcm samples made alone

  before(async () => {
    gw = await startGateway({
      apiKey: 'sk-gateway-test',
      env: {
        // A burst of 50 must wait for room, not be refused: this file tests correctness.
        QUEUE_WAIT_MS: String(REQUEST_MS),
        ENGINE_WAIT_MS: String(REQUEST_MS),
        API_KEYS: 'sk-gateway-test',
        LOG_LEVEL: 'warn',
      },
    });
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-gateway-test', maxRetries: 0, timeout: REQUEST_MS });
  }, { timeout: 300_000 });

  after(async () => {
    await gw?.stop(20_000);
  }, { timeout: 60_000 });

  const create = (params: Params, signal?: AbortSignal) =>
    client.audio.speech.create(params as OpenAI.Audio.SpeechCreateParams, signal ? { signal } : undefined);

  async function audio(params: Params): Promise<Buffer> {
    const res = await create(params);
    return Buffer.from(await res.arrayBuffer());
  }

  async function reference(text: string, voice = 'af_heart'): Promise<Int16Array> {
    const key = `${voice}|${text}`;
    let r = refs.get(key);
    if (!r) {
      r = await decodeToPcm(await audio({ model: 'tts-1', voice, input: text, response_format: 'pcm' }), 'pcm');
      refs.set(key, r);
    }
    return r;
  }

  /** Decoded audio of `format` matches the pcm reference: exactly if lossless, else ± one frame. */
  async function checkAgainst(ref: Int16Array, body: Buffer, format: AudioFormat, streaming: boolean, what: string) {
    const decoded = await decodeToPcm(body, format); // throws on damaged or truncated audio
    if (LOSSLESS.has(format)) {
      assert.ok(pcmBytes(decoded).equals(pcmBytes(ref)), `${what}: ${decoded.length} samples, the reference has ${ref.length}`);
    } else {
      // A lossy stream ends on a whole frame: the last one is padded out, and a streamed mp3
      // (no Xing/LAME header on a pipe to say what to drop) carries the encoder's flush frame.
      const want = ref.length + leadingSamples(format, streaming);
      const frame = frameSamples(format);
      const extra = decoded.length - want;
      assert.ok(extra >= -frame && extra <= 2 * frame,
        `${what}: decoded ${decoded.length} samples, want ${want} (-${frame}..+${2 * frame})`);
    }
    assert.ok(rms(decoded) > 300, `${what}: not silent (rms ${rms(decoded).toFixed(0)})`);
  }

  it('all six formats, streamed and with stream:false, match the pcm of the same request', { timeout: REQUEST_MS }, async () => {
    // 'alloy' is an OpenAI voice name; the gateway maps it to a Kokoro voice.
    const ref = await reference(FORMAT_TEXT, 'alloy');
    assert.ok(ref.length > 24_000, 'reference is over a second long');
    const cases = FORMATS.flatMap((format) => [true, false].map((stream) => ({ format, stream })));
    const results = await Promise.all(cases.map(async ({ format, stream }) => {
      const res = await create({ model: 'tts-1', voice: 'alloy', input: FORMAT_TEXT, response_format: format, stream });
      const body = Buffer.from(await res.arrayBuffer());
      return { format, stream, body, type: res.headers.get('content-type') ?? '', length: res.headers.get('content-length') };
    }));
    for (const r of results) {
      const what = `${r.format} ${r.stream ? 'streamed' : 'whole'}`;
      assert.match(r.type, /^audio\//, `${what}: content type ${r.type}`);
      if (!r.stream) assert.equal(r.length, String(r.body.length), `${what}: Content-Length is the real size`);
      await checkAgainst(ref, r.body, r.format, r.stream, what);
    }
  });

  it('SSE (stream_format: sse): delta events carry the audio, then done with usage', { timeout: REQUEST_MS }, async () => {
    const ref = await reference(FORMAT_TEXT);
    for (const format of ['pcm', 'mp3'] as const) {
      const res = await create({ model: 'gpt-4o-mini-tts', voice: 'af_heart', input: FORMAT_TEXT, response_format: format, stream_format: 'sse' });
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const events = (await res.text()).split('\n\n').filter((e) => e.trim()).map((e) => JSON.parse(e.replace(/^data: /, '')) as {
        type: string; audio?: string; usage?: { output_tokens: number; input_tokens: number };
      });
      const done = events.at(-1)!;
      assert.equal(done.type, 'speech.audio.done');
      assert.ok(events.slice(0, -1).every((e) => e.type === 'speech.audio.delta'));
      assert.equal(done.usage?.output_tokens, Math.ceil(ref.length / 480), 'usage counts 20 ms of audio per token');
      assert.ok((done.usage?.input_tokens ?? 0) > 0);
      const body = Buffer.concat(events.slice(0, -1).map((e) => Buffer.from(e.audio!, 'base64')));
      await checkAgainst(ref, body, format, true, `sse ${format}`);
    }
  });

  it('50 concurrent requests in mixed formats each return their own audio', { timeout: REQUEST_MS * 2 }, async () => {
    // References, one request at a time.
    for (const t of TEXTS) await reference(t);
    const lengths = TEXTS.map((t) => refs.get(`af_heart|${t}`)!.length).sort((a, b) => a - b);
    for (let i = 1; i < lengths.length; i++) {
      // Far more than a lossy codec's tolerance (one frame, at most 1024 samples here).
      assert.ok(lengths[i]! - lengths[i - 1]! > 4800, `texts differ by more than 0.2 s: ${lengths.join(', ')}`);
    }

    const cases = Array.from({ length: 50 }, (_, i) => ({
      text: TEXTS[(i * 7) % TEXTS.length]!,
      format: FORMATS[i % FORMATS.length]!,
      stream: i % 4 !== 3,
    }));
    const results = await Promise.all(cases.map(async (c) => {
      const res = await create({ model: 'tts-1', voice: 'af_heart', input: c.text, response_format: c.format, stream: c.stream });
      return Buffer.from(await res.arrayBuffer());
    }));
    for (const [i, c] of cases.entries()) {
      await checkAgainst(await reference(c.text), results[i]!, c.format, c.stream, `request ${i} (${c.format}, ${c.stream ? 'streamed' : 'whole'}, text ${TEXTS.indexOf(c.text)})`);
    }
  });

  it('a client abort mid-stream leaves no ffmpeg child beyond the warm pool and frees the engine', { timeout: REQUEST_MS }, async () => {
    const g = gw!;
    const ffmpegChildren = () => childrenOf(g.pid).filter((c) => c.state !== 'Z' && c.comm.startsWith('ffmpeg'));
    /** Waits until every ffmpeg child of the gateway is an idle pool member and nothing is in flight. */
    const settled = async (timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        const idle = await g.metric('kokoro_encoder_pool_idle');
        const inFlight = await g.metric('kokoro_speech_in_flight');
        const busy = (await g.engines()).reduce((n, e) => n + e.inFlight, 0);
        const children = ffmpegChildren().length;
        if (children === idle && inFlight === 0 && busy === 0 && idle > 0) return idle;
        last = `ffmpeg children ${children}, pool idle ${idle}, speech in flight ${inFlight}, engine in flight ${busy}`;
        await sleep(200);
      }
      throw new Error(`not settled after ${timeoutMs} ms: ${last}`);
    };
    await settled(30_000);

    for (const format of ['mp3', 'opus'] as const) {
      const ctl = new AbortController();
      const res = await create({ model: 'tts-1', voice: 'af_heart', input: ABORT_TEXT, response_format: format }, ctl.signal);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let got = 0;
      while (got === 0) {
        const { value, done } = await reader.read();
        assert.ok(!done, 'the stream must not end before we abort it');
        got += value?.length ?? 0;
      }
      // Mid-stream: this request's encoder is a live ffmpeg child beside the idle pool.
      const idle = await g.metric('kokoro_encoder_pool_idle');
      assert.ok(ffmpegChildren().length > idle, `an active encoder is running (${ffmpegChildren().length} children, ${idle} idle)`);
      ctl.abort();
      await reader.cancel().catch(() => {});
      await settled(30_000);
    }
    // And the gateway still serves.
    await checkAgainst(await reference(TEXTS[1]!), await audio({ model: 'tts-1', voice: 'af_heart', input: TEXTS[1]!, response_format: 'mp3' }), 'mp3', true, 'after aborts');
  });

  it('stops cleanly: exit 0, no engine left', { timeout: 60_000 }, async () => {
    const r = await gw!.stop(30_000);
    assert.equal(r.code, 0);
    assert.equal(r.forced, false);
    assert.deepEqual(r.survivors, []);
  });
});
