// Word timestamps end to end: the real gateway (two CPU engines, real model, chunk cache off so
// every request is synthesized) serves /dev/captioned_speech whole and as JSON lines, the SSE
// `speech.audio.timing` events and WebVTT/SRT; every form agrees with the others, times are
// monotonic, inside the audio and cover every word, and a request whose engine is SIGKILLed
// mid-request (resumed on the other engine) gets the same audio and the same times.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SAMPLE_RATE } from '../../protocol/constants.js';
import { alive, startGateway, type EngineRow, type GatewayProcess } from '../support/gateway-process.js';

// Plain words only, so the words as written are the words spoken; several chunks.
const TEXT = 'The old lighthouse stood at the edge of the cliff for many years. Every night its lamp turned slowly over the dark water, ' +
  'and the fishermen found their way home by it. One winter a storm broke the glass and the light went out. ' +
  'The keeper climbed the stairs with a lantern in his hand, and he kept it burning until the morning came.';
const WORDS = TEXT.split(' ');

interface Ts { word: string; start_time: number; end_time: number }
type Body = Record<string, unknown>;

async function captioned(url: string, body: Body, timeoutMs = 240_000): Promise<Response> {
  return fetch(`${url}/dev/captioned_speech`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: TEXT, voice: 'af_heart', ...body }), signal: AbortSignal.timeout(timeoutMs),
  });
}

/** Monotonic, inside the audio, one per word of the text, each with some duration. */
function assertTimes(ts: Ts[], seconds: number, what: string): void {
  assert.deepEqual(ts.map((t) => t.word), WORDS, `${what}: every word, in order`);
  let prev = 0;
  for (const t of ts) {
    assert.ok(t.start_time >= prev - 1e-9 && t.end_time > t.start_time, `${what}: ${JSON.stringify(t)} after ${prev}`);
    prev = t.end_time;
  }
  assert.ok(prev <= seconds + 1e-9, `${what}: last word ends at ${prev}, audio is ${seconds} s`);
  assert.ok(ts[0]!.start_time < 0.5, `${what}: the first word starts at ${ts[0]!.start_time}`);
  assert.ok(seconds - prev < 1, `${what}: the last word ends ${seconds - prev} s before the audio does`);
}

describe('word timestamps through the real gateway', { timeout: 900_000 }, () => {
  let gw: GatewayProcess | undefined;
  let ref: { audio: Buffer; timestamps: Ts[] } | undefined;

  before(async () => {
    gw = await startGateway({ engines: 2, env: { LOG_LEVEL: 'warn', CACHE_MB: '0', STALL_TIMEOUT_MS: '5000', HEALTH_INTERVAL_MS: '500' } });
  }, { timeout: 300_000 });
  after(async () => {
    const r = await gw?.stop(20_000);
    assert.deepEqual(r?.survivors ?? [], [], 'no engine outlives the gateway');
  }, { timeout: 60_000 });

  it('stream:false: base64 audio, its content type and one timestamp per word, monotonic and inside the audio', { timeout: 240_000 }, async () => {
    const res = await captioned(gw!.url, { response_format: 'pcm', stream: false });
    assert.equal(res.status, 200);
    const j = (await res.json()) as { audio: string; audio_format: string; timestamps: Ts[] };
    assert.equal(j.audio_format, 'audio/pcm;rate=24000');
    const audio = Buffer.from(j.audio, 'base64');
    assertTimes(j.timestamps, audio.length / 2 / SAMPLE_RATE, 'stream:false');
    ref = { audio, timestamps: j.timestamps };
  });

  it('stream:true: JSON lines whose audio joins into the same file and whose timestamps join into the same list, words before their audio', { timeout: 240_000 }, async () => {
    assert.ok(ref, 'the stream:false test must have passed');
    const res = await captioned(gw!.url, { response_format: 'pcm' });
    assert.equal(res.status, 200);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { audio: string; audio_format: string; timestamps: Ts[] });
    assert.ok(lines.length > 1, `${lines.length} lines`);
    let samples = 0;
    const all: Ts[] = [];
    const parts: Buffer[] = [];
    for (const l of lines) {
      assert.equal(l.audio_format, 'audio/pcm;rate=24000');
      for (const t of l.timestamps) assert.ok(t.start_time >= samples / SAMPLE_RATE - 1e-3, `${t.word} at ${t.start_time} announced after ${samples / SAMPLE_RATE} s of audio went out`);
      all.push(...l.timestamps);
      const a = Buffer.from(l.audio, 'base64');
      parts.push(a);
      samples += a.length / 2;
    }
    assert.ok(Buffer.concat(parts).equals(ref!.audio), 'the same audio as stream:false');
    assert.deepEqual(all, ref!.timestamps, 'the same timestamps as stream:false');
    const none = await captioned(gw!.url, { response_format: 'pcm', stream: false, return_timestamps: false });
    assert.equal(((await none.json()) as { timestamps: unknown }).timestamps, null, 'return_timestamps:false gives null, as Kokoro-FastAPI does');
  });

  it('SSE with timestamps:true: speech.audio.timing events between the deltas, the same words and times', { timeout: 240_000 }, async () => {
    assert.ok(ref);
    const res = await fetch(`${gw!.url}/v1/audio/speech`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(240_000),
      body: JSON.stringify({ model: 'tts-1', input: TEXT, voice: 'af_heart', response_format: 'pcm', stream_format: 'sse', timestamps: true }),
    });
    assert.equal(res.status, 200);
    const events = (await res.text()).split('\n\n').filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')) as { type: string; audio?: string; words?: Ts[] });
    let samples = 0;
    const words: Ts[] = [];
    const timingAt: number[] = [];
    for (const e of events) {
      if (e.type === 'speech.audio.delta') samples += Buffer.from(e.audio!, 'base64').length / 2;
      if (e.type === 'speech.audio.timing') {
        timingAt.push(samples);
        for (const w of e.words!) assert.ok(w.start_time >= samples / SAMPLE_RATE - 1e-3, `${w.word} announced after its audio`);
        words.push(...e.words!);
      }
    }
    assert.ok(timingAt.length > 1 && timingAt.some((s) => s > 0), `timing events between deltas: at ${timingAt.join(', ')} samples`);
    assert.equal(events.at(-1)!.type, 'speech.audio.done');
    assert.deepEqual(words, ref!.timestamps);
    // Without timestamps:true no timing event: the OpenAI stream is unchanged.
    const plain = await fetch(`${gw!.url}/v1/audio/speech`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tts-1', input: 'Just this.', voice: 'af_heart', response_format: 'pcm', stream_format: 'sse' }),
    });
    assert.ok(!(await plain.text()).includes('speech.audio.timing'));
  });

  it('WebVTT and SRT: the whole file\'s captions, cues in order, their text the words', { timeout: 240_000 }, async () => {
    assert.ok(ref);
    const seconds = ref!.audio.length / 2 / SAMPLE_RATE;
    for (const [format, sep, type] of [['vtt', '.', 'text/vtt'], ['srt', ',', 'application/x-subrip']] as const) {
      const res = await captioned(gw!.url, { response_format: format });
      assert.equal(res.status, 200, format);
      assert.match(res.headers.get('content-type') ?? '', new RegExp(`^${type}`));
      const text = await res.text();
      if (format === 'vtt') assert.ok(text.startsWith('WEBVTT\n\n'));
      const stamp = `(\\d\\d):(\\d\\d):(\\d\\d)\\${sep}(\\d{3})`;
      const cueRe = new RegExp(`${stamp} --> ${stamp}\\n(.+)\\n`, 'g');
      const secs = (m: string[], o: number) => Number(m[o]) * 3600 + Number(m[o + 1]) * 60 + Number(m[o + 2]) + Number(m[o + 3]) / 1000;
      const cues = [...text.matchAll(cueRe)].map((m) => ({ start: secs(m, 1), end: secs(m, 5), text: m[9]! }));
      assert.ok(cues.length >= 3, `${format}: ${cues.length} cues`);
      let prev = 0;
      for (const c of cues) {
        assert.ok(c.start >= prev - 1e-9 && c.end > c.start && c.end <= seconds + 1e-3, `${format}: cue ${JSON.stringify(c)}`);
        prev = c.end;
      }
      assert.equal(cues.map((c) => c.text).join(' '), TEXT, `${format}: the cues' text is the input`);
      assert.equal(cues[0]!.start, Math.round(ref!.timestamps[0]!.start_time * 1000) / 1000);
    }
  });

  it('speed 2: about half the duration, the same words, times inside the faster audio', { timeout: 240_000 }, async () => {
    assert.ok(ref);
    const res = await captioned(gw!.url, { response_format: 'pcm', stream: false, speed: 2 });
    const j = (await res.json()) as { audio: string; timestamps: Ts[] };
    const seconds = Buffer.from(j.audio, 'base64').length / 2 / SAMPLE_RATE;
    const refSeconds = ref!.audio.length / 2 / SAMPLE_RATE;
    assert.ok(seconds > refSeconds * 0.4 && seconds < refSeconds * 0.65, `${seconds} s at speed 2, ${refSeconds} s at 1`);
    assertTimes(j.timestamps, seconds, 'speed 2');
  });

  it('errors in OpenAI\'s shape: timestamps without SSE, a non-boolean return_timestamps, streamed captions', async () => {
    const cases: Array<[string, Body, string]> = [
      ['/v1/audio/speech', { model: 'tts-1', input: 'Hi.', voice: 'af_heart', timestamps: true }, 'timestamps'],
      ['/v1/audio/speech', { model: 'tts-1', input: 'Hi.', voice: 'af_heart', stream_format: 'sse', timestamps: 'yes' }, 'timestamps'],
      ['/dev/captioned_speech', { input: 'Hi.', return_timestamps: 'yes' }, 'return_timestamps'],
      ['/dev/captioned_speech', { input: 'Hi.', response_format: 'vtt', stream: true }, 'stream'],
      ['/dev/captioned_speech', { input: 'Hi.', stream_format: 'sse' }, 'stream_format'],
      ['/dev/captioned_speech', { input: 'Hi.', response_format: 'ogg' }, 'response_format'],
    ];
    for (const [path, body, param] of cases) {
      const res = await fetch(`${gw!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
      const e = ((await res.json()) as { error: { message: string; type: string; param: string | null; code: string | null } }).error;
      assert.equal(e.type, 'invalid_request_error');
      assert.equal(e.param, param);
      assert.ok(e.message.length > 0 && 'code' in e);
    }
  });

  it('an engine SIGKILLed mid-request: resumed on the other engine, the same audio and the same times', { timeout: 300_000 }, async () => {
    assert.ok(ref);
    const g = gw!;
    await g.waitEngines((rows) => rows.every((e) => e.state === 'ready'), 120_000, 'both engines ready');
    const retriesBefore = await g.metric('kokoro_speech_retries_total');
    const pending = captioned(g.url, { response_format: 'pcm', stream: false }).then(async (r) => ({ status: r.status, body: await r.json() as { audio: string; timestamps: Ts[] } }));
    pending.catch(() => {});
    let target: EngineRow | undefined;
    const deadline = Date.now() + 60_000;
    while (!target && Date.now() < deadline) {
      target = (await g.engines()).find((e) => e.inFlight > 0 && e.pid);
      if (!target) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(target?.pid, 'an engine with a chunk in flight');
    process.kill(target.pid, 'SIGKILL');
    const r = await pending;
    assert.equal(r.status, 200);
    assert.ok(Buffer.from(r.body.audio, 'base64').equals(ref!.audio), 'the same audio as the unfaulted run');
    assert.deepEqual(r.body.timestamps, ref!.timestamps, 'the same timestamps as the unfaulted run');
    assert.ok(await g.metric('kokoro_speech_retries_total') >= retriesBefore + 1, 'the request was resumed (retry metric moved)');
    assert.ok(!alive(target.pid), 'the killed engine is gone');
    await g.waitEngines((rows) => rows.every((e) => e.state === 'ready'), 120_000, 'the killed engine back');
  });
});
