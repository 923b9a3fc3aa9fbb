// The Wyoming server against fake engines: describe, synthesize, the streaming form (sentence by
// sentence, one audio-start … audio-stop, the compatibility `synthesize` ignored), errors as
// `error` events followed by a close, and a client leaving aborting its synthesis.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SpeechError } from '../../gateway/speech/errors.js';
import { encodeEvent, EventParser, type WyomingEvent } from '../../gateway/wyoming/framing.js';
import { createWyomingServer, pickVoice, takeSentences, type WyomingServer } from '../../gateway/wyoming/server.js';
import { OPENAI_VOICES } from '../../gateway/http/voice-map.js';
import { expectedPcm, FakeAdmission, FakeEncoders, FakeSource, type FakeSourceOptions } from '../http/fakes.js';

const VOICES = ['af_alloy', 'af_heart', 'af_bella', 'am_adam', 'bf_emma', 'bm_george'];

interface Client {
  socket: Socket;
  send(...evs: WyomingEvent[]): void;
  /** Events until `until` matches one (included) or the server closes. */
  read(until?: (ev: WyomingEvent) => boolean): Promise<{ events: WyomingEvent[]; closed: boolean }>;
  close(): void;
}

async function client(port: number): Promise<Client> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => socket.once('connect', () => r()).once('error', j));
  const parser = new EventParser();
  const inbox: WyomingEvent[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  socket.on('data', (b: Buffer) => {
    inbox.push(...parser.push(b));
    wake?.();
  });
  socket.on('close', () => {
    closed = true;
    wake?.();
  });
  socket.on('error', () => {});
  return {
    socket,
    send: (...evs) => evs.forEach((e) => socket.write(encodeEvent(e))),
    async read(until) {
      const events: WyomingEvent[] = [];
      for (;;) {
        while (inbox.length > 0) {
          const ev = inbox.shift()!;
          events.push(ev);
          if (until?.(ev)) return { events, closed };
        }
        if (closed) return { events, closed };
        await new Promise<void>((r) => (wake = r));
      }
    },
    close: () => socket.destroy(),
  };
}

const pcmOf = (events: WyomingEvent[]) => Buffer.concat(events.filter((e) => e.type === 'audio-chunk').map((e) => e.payload ?? Buffer.alloc(0)));
const types = (events: WyomingEvent[]) => events.map((e) => e.type).filter((t) => t !== 'audio-chunk');

function setup(source: FakeSourceOptions = {}, admission = new FakeAdmission(), clientStallMs?: number) {
  const fake = new FakeSource(source);
  const logs: Array<Record<string, unknown>> = [];
  const server = createWyomingServer({
    pipeline: { source: fake, admission, encoders: new FakeEncoders(), encoderAttempts: 1 },
    voices: () => VOICES,
    voiceMap: OPENAI_VOICES,
    maxInputChars: 1000,
    version: '9.9.9',
    log: (_l, msg, f = {}) => logs.push({ msg, ...f }),
    ...(clientStallMs !== undefined ? { clientStallMs } : {}),
  });
  return { server, fake, admission, logs };
}

describe('wyoming server', () => {
  let s: ReturnType<typeof setup>;
  let port: number;
  before(async () => {
    s = setup({ chunks: 3 });
    port = await s.server.listen(0, '127.0.0.1');
  });
  after(async () => {
    s.server.closeAllConnections();
    await s.server.close();
  });

  it('describe → info with the voices and their languages', async () => {
    const c = await client(port);
    c.send({ type: 'describe', data: {} });
    const { events } = await c.read((e) => e.type === 'info');
    const info = events.at(-1)!;
    const tts = (info.data.tts as Array<Record<string, unknown>>)[0]!;
    assert.equal(tts.name, 'kokoro');
    assert.equal(tts.supports_synthesize_streaming, true);
    assert.equal(tts.version, '9.9.9');
    const voices = tts.voices as Array<{ name: string; languages: string[] }>;
    assert.deepEqual(voices.map((v) => v.name), VOICES);
    assert.deepEqual(voices.find((v) => v.name === 'bf_emma')!.languages, ['en-GB']);
    assert.deepEqual(voices.find((v) => v.name === 'af_heart')!.languages, ['en-US']);
    c.close();
  });

  it('synthesize → audio-start, audio-chunk…, audio-stop with the pipeline\'s PCM; the connection stays open', async () => {
    const c = await client(port);
    c.send({ type: 'synthesize', data: { text: 'Hello there.', voice: { name: 'bm_george' } } });
    const { events } = await c.read((e) => e.type === 'audio-stop');
    assert.deepEqual(types(events), ['audio-start', 'audio-stop']);
    assert.deepEqual(events[0]!.data, { rate: 24000, width: 2, channels: 1, timestamp: 0 });
    assert.deepEqual(pcmOf(events), expectedPcm(3));
    assert.equal(events.at(-1)!.data.timestamp, 300);
    assert.equal(s.fake.jobs.at(-1)!.voice, 'bm_george');
    assert.equal(s.fake.jobs.at(-1)!.lang, 'en-gb');
    // A second request on the same connection; OpenAI names work too.
    c.send({ type: 'synthesize', data: { text: 'Again.', voice: { name: 'alloy' } } });
    const again = await c.read((e) => e.type === 'audio-stop');
    assert.deepEqual(pcmOf(again.events), expectedPcm(3));
    assert.equal(s.fake.jobs.at(-1)!.voice, 'af_alloy');
    c.close();
  });

  it('streaming: sentence by sentence in one audio-start … audio-stop, then synthesize-stopped; the compatibility synthesize is ignored', async () => {
    const before = s.fake.jobs.length;
    const c = await client(port);
    const parts = ['Hello there. How', ' are you today? I am', ' fine, thanks'];
    c.send({ type: 'synthesize-start', data: { voice: { name: 'af_bella' } } });
    for (const text of parts) c.send({ type: 'synthesize-chunk', data: { text } });
    c.send({ type: 'synthesize', data: { text: parts.join('') } }, { type: 'synthesize-stop', data: {} });
    const { events, closed } = await c.read((e) => e.type === 'synthesize-stopped');
    assert.equal(closed, false);
    assert.deepEqual(types(events), ['audio-start', 'audio-stop', 'synthesize-stopped']);
    const jobs = s.fake.jobs.slice(before);
    assert.equal(jobs.map((j) => j.text).join(''), parts.join(''), 'all the text, once, in order');
    assert.ok(jobs.length >= 2, `spoken in pieces: ${JSON.stringify(jobs.map((j) => j.text))}`);
    for (const j of jobs.slice(0, -1)) assert.match(j.text, /[.?]\s+$/, 'each piece but the last ends a sentence');
    assert.deepEqual(pcmOf(events), Buffer.concat(jobs.map(() => expectedPcm(3))));
    c.close();
  });

  it('errors: unknown voice, empty text, a voice for a missing language — an error event, then the close', async () => {
    const cases: Array<[WyomingEvent, string]> = [
      [{ type: 'synthesize', data: { text: 'Hi.', voice: { name: 'zz_nobody' } } }, 'invalid_voice'],
      [{ type: 'synthesize', data: { text: '   ' } }, 'empty_text'],
      [{ type: 'synthesize', data: { text: 'x'.repeat(1001) } }, 'text_too_long'],
      [{ type: 'synthesize', data: { text: 'Hi.', voice: { language: 'de-DE' } } }, 'invalid_voice'],
      [{ type: 'synthesize-start', data: { voice: { name: 'nope' } } }, 'invalid_voice'],
    ];
    for (const [ev, code] of cases) {
      const c = await client(port);
      c.send(ev);
      const { events, closed } = await c.read();
      assert.deepEqual(types(events), ['error'], code);
      assert.equal(events[0]!.data.code, code);
      assert.equal(typeof events[0]!.data.text, 'string');
      assert.equal(closed, true);
    }
  });

  it('malformed bytes → protocol_error and the close', async () => {
    const c = await client(port);
    c.socket.write('{"type": broken\n');
    const { events, closed } = await c.read();
    assert.equal(events[0]!.type, 'error');
    assert.equal(events[0]!.data.code, 'protocol_error');
    assert.equal(closed, true);
  });

  it('ping → pong; unknown events are dropped', async () => {
    const c = await client(port);
    c.send({ type: 'select-program', data: { name: 'kokoro' } }, { type: 'ping', data: { text: 'hi' } });
    const { events } = await c.read((e) => e.type === 'pong');
    assert.deepEqual(events, [{ type: 'pong', data: { text: 'hi' } }]);
    c.close();
  });
});

describe('wyoming server: admission and clients leaving', () => {
  it('busy admission → error code busy', async () => {
    const s = setup({}, new FakeAdmission(new SpeechError('busy', 'Too many requests.')));
    const port = await s.server.listen(0, '127.0.0.1');
    const c = await client(port);
    c.send({ type: 'synthesize', data: { text: 'Hello.' } });
    const { events, closed } = await c.read();
    assert.deepEqual(events.map((e) => [e.type, e.data.code]), [['error', 'busy']]);
    assert.equal(closed, true);
    await s.server.close();
  });

  it('a client that disconnects aborts its synthesis and releases admission', async () => {
    const s = setup({ chunks: 10, hangAfter: 2 });
    const port = await s.server.listen(0, '127.0.0.1');
    const c = await client(port);
    c.send({ type: 'synthesize', data: { text: 'A long story.' } });
    await s.fake.hanging;
    c.close();
    const deadline = Date.now() + 5000;
    while (s.admission.released < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(s.fake.signals[0]!.aborted, true);
    assert.equal(s.admission.released, 1);
    assert.ok(s.logs.some((l) => l.outcome === 'client_gone'));
    await s.server.close();
  });

  it('a client that stops reading is disconnected after CLIENT_STALL_MS and its slot released; a slow reader is not', async () => {
    // 3,000 chunks of 100 ms: 14 MB of PCM, far more than the socket buffers hold.
    const s = setup({ chunks: 3000 }, new FakeAdmission(), 400);
    const port = await s.server.listen(0, '127.0.0.1');
    const stuck = await client(port);
    stuck.socket.pause(); // reads nothing from here on
    stuck.send({ type: 'synthesize', data: { text: 'A long story nobody listens to.' } });
    // (A paused socket never reads the server's close, so the server side is what is checked.)
    const deadline = Date.now() + 10_000;
    while (s.admission.released < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(s.admission.released, 1, 'admission slot released');
    assert.equal(s.fake.signals[0]!.aborted, true, 'its synthesis was aborted');
    assert.ok(s.logs.some((l) => String(l.msg).includes('accepted no audio')), 'the stall was logged');
    assert.ok(s.logs.some((l) => l.outcome === 'client_gone'), 'the speech ended as client_gone');
    stuck.close();
    // A reader that keeps taking bytes, however slowly, gets everything.
    const slow = await client(port);
    slow.send({ type: 'synthesize', data: { text: 'Short.' } });
    const { events, closed: slowClosed } = await slow.read((e) => e.type === 'audio-stop');
    assert.equal(slowClosed, false);
    assert.equal(pcmOf(events).length, expectedPcm(3000).length);
    slow.close();
    await s.server.close();
  });

  it('close() waits for a busy connection to finish, and closes idle ones at once', async () => {
    const s = setup({ chunks: 3, delayMs: 50 });
    const port = await s.server.listen(0, '127.0.0.1');
    const idle = await client(port);
    const busy = await client(port);
    busy.send({ type: 'synthesize', data: { text: 'Finish me.' } });
    await new Promise((r) => setTimeout(r, 20));
    const closing = s.server.close();
    const idleRead = await idle.read();
    assert.equal(idleRead.closed, true);
    const { events, closed } = await busy.read();
    assert.deepEqual(types(events), ['audio-start', 'audio-stop']);
    assert.deepEqual(pcmOf(events), expectedPcm(3));
    assert.equal(closed, true);
    await closing;
  });
});

describe('wyoming helpers', () => {
  it('takeSentences keeps the unfinished sentence', () => {
    assert.deepEqual(takeSentences('Hello there. How are', false), ['Hello there. ', 'How are']);
    assert.deepEqual(takeSentences('One! Two? "Three." Fou', false), ['One! Two? "Three." ', 'Fou']);
    assert.deepEqual(takeSentences('No end yet', false), ['', 'No end yet']);
    assert.deepEqual(takeSentences('Version 3.5 is out', false), ['', 'Version 3.5 is out']);
    assert.deepEqual(takeSentences('First para\n\nSecond', false), ['First para\n\n', 'Second']);
    assert.deepEqual(takeSentences('rest', true), ['rest', '']);
  });

  it('pickVoice: by name, by language, or the default', () => {
    assert.equal(pickVoice({ name: 'bf_emma' }, VOICES, OPENAI_VOICES).spec, 'bf_emma');
    assert.equal(pickVoice({ language: 'en_GB' }, VOICES, OPENAI_VOICES).spec, 'bf_emma');
    assert.equal(pickVoice({ language: 'en-US' }, VOICES, OPENAI_VOICES).spec, 'af_heart');
    assert.equal(pickVoice({ language: 'en' }, VOICES, OPENAI_VOICES).spec, 'af_heart');
    assert.equal(pickVoice(undefined, VOICES, OPENAI_VOICES).spec, 'af_heart');
    assert.equal(pickVoice({ name: 'af_bella(2)+af_heart(1)' }, VOICES, OPENAI_VOICES).spec, 'af_bella(2)+af_heart(1)');
  });
});
