// The Wyoming protocol front (Home Assistant's voice protocol): a TCP server beside the HTTP
// one, on WYOMING_PORT. Every synthesis goes through runSpeechPipeline with format `pcm`, so
// admission, the chunk scheduler, the cache and resume on another engine are exactly the
// HTTP path's. Per connection:
//   describe                       → info (voices with their languages)
//   synthesize {text, voice}       → audio-start, audio-chunk…, audio-stop
//   synthesize-start {voice}, synthesize-chunk {text}…, synthesize-stop
//                                  → audio-start, audio-chunk… (sentence by sentence, as the
//                                    text arrives), audio-stop, synthesize-stopped
// The `synthesize` a streaming client also sends between start and stop (for servers that
// do not stream) is ignored. Any failure is an `error` event {text, code}, after which the
// connection is closed: clients wait for audio-stop or synthesize-stopped, and the close is
// what tells them nothing more is coming. A client that disconnects aborts its synthesis.
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ApiError } from '../http/api-error.js';
import { watchStall } from '../http/client-stall.js';
import { resolveVoice, type ResolvedVoice, type VoiceMap } from '../http/voice-map.js';
import { newStats, runSpeechPipeline, type PipelineDeps } from '../speech/pipeline.js';
import { ClientGoneError, SpeechError } from '../speech/errors.js';
import { SAMPLE_RATE } from '../../protocol/constants.js';
import { encodeEvent, EventParser, FramingError, type FramingLimits, type WyomingEvent } from './framing.js';
import { infoEvent, voiceLanguageTag } from './info.js';

/** Audio we send: 24 kHz, 16-bit, mono. */
export const AUDIO_FORMAT = { rate: SAMPLE_RATE, width: 2, channels: 1 } as const;
/** Largest audio-chunk payload: one second. */
const CHUNK_BYTES = SAMPLE_RATE * 2;
/** The voice used when a request names none (or only a language it speaks). */
const DEFAULT_VOICES: Readonly<Record<string, string>> = { 'en-us': 'af_heart', 'en-gb': 'bf_emma' };
const DEFAULT_VOICE = 'af_heart';
/** A sentence ends at . ! ? … (and their CJK forms), maybe closing quotes or brackets, then space; or at a blank line. */
const SENTENCE_END = /(?:[.!?…。！？]+["'”’)\]]*\s+|\n\s*\n)/g;

export type WyomingLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export interface WyomingDeps {
  pipeline: PipelineDeps;
  /** Speakable Kokoro voice names (the list GET /v1/audio/voices shows). */
  voices: () => readonly string[];
  /** OpenAI voice names → Kokoro voices (VOICE_MAP): `alloy` works here too. */
  voiceMap: VoiceMap;
  maxInputChars: number;
  /** Shown as the program's version in `info`. */
  version: string;
  log: WyomingLog;
  /** A connection with nothing in progress is closed after this long without an event (default 5 minutes). */
  idleTimeoutMs?: number;
  /** Connections at once (default 256). */
  maxConnections?: number;
  /**
   * CLIENT_STALL_MS: a client that accepts no byte this long while audio waits for it is
   * disconnected, so its admission slot is freed (default 60 s, as over HTTP).
   */
  clientStallMs?: number;
  limits?: Partial<FramingLimits>;
}

export interface WyomingServer {
  /** Starts listening; resolves with the port bound. */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting; idle connections close now, busy ones when their work ends. Resolves when all are closed. */
  close(): Promise<void>;
  /** Ends every connection at once (the drain limit was reached). */
  closeAllConnections(): void;
  readonly server: Server;
}

/** A failure a client is told about: an `error` event {text, code}. */
class WyomingFailure extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

function failureFrom(e: unknown): WyomingFailure {
  if (e instanceof WyomingFailure) return e;
  if (e instanceof ApiError) return new WyomingFailure(e.code === 'invalid_value' ? 'bad_request' : (e.code ?? 'bad_request'), e.message);
  if (e instanceof SpeechError) {
    const code = e.kind === 'busy' || e.kind === 'unavailable' || e.kind === 'bad_request' ? e.kind : 'synthesis_failed';
    return new WyomingFailure(code, e.message);
  }
  return new WyomingFailure('internal_error', 'Speech synthesis failed.');
}

/** The Kokoro voice for a Wyoming `voice` {name?, language?, speaker?}. */
export function pickVoice(raw: unknown, speakable: readonly string[], voiceMap: VoiceMap): ResolvedVoice {
  const known = new Set(speakable);
  const v = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const voiceError = (msg: string) => new WyomingFailure('invalid_voice', msg);
  if (v.name !== undefined && v.name !== null && v.name !== '') {
    if (typeof v.name !== 'string') throw voiceError("'voice.name' must be a string.");
    try {
      return resolveVoice(v.name, known, voiceMap);
    } catch (e) {
      if (e instanceof ApiError) throw voiceError(e.message.replace('See GET /v1/audio/voices.', "See the voices in 'info'."));
      throw e;
    }
  }
  let name: string | undefined;
  if (v.language !== undefined && v.language !== null && v.language !== '') {
    if (typeof v.language !== 'string') throw voiceError("'voice.language' must be a string.");
    const want = v.language.trim().toLowerCase().replace(/_/g, '-');
    const tagOf = (n: string) => voiceLanguageTag(n)?.toLowerCase();
    const primary = want.split('-')[0]!;
    // A region given: that region's voices; only a language (`en`): any of its voices.
    const speaks = (n: string) => {
      const tag = voiceLanguageTag(n)?.toLowerCase();
      return want.includes('-') ? tag === want : tag?.split('-')[0] === primary;
    };
    const preferred = Object.entries(DEFAULT_VOICES).map(([, n]) => n).filter((n) => known.has(n) && speaks(n));
    name = preferred[0] ?? speakable.find(speaks);
    if (!name) throw voiceError(`No voice speaks '${v.language.slice(0, 32)}'; the voices in 'info' list their languages.`);
  }
  name ??= known.has(DEFAULT_VOICE) ? DEFAULT_VOICE : speakable[0];
  if (!name) throw new WyomingFailure('unavailable', 'No voices are available.');
  return resolveVoice(name, known, voiceMap);
}

/** Takes the complete sentences from `text` (all of it when `flush`); returns [taken, rest]. */
export function takeSentences(text: string, flush: boolean): [string, string] {
  if (flush) return [text, ''];
  let end = -1;
  for (const m of text.matchAll(SENTENCE_END)) end = m.index! + m[0].length;
  return end < 0 ? ['', text] : [text.slice(0, end), text.slice(end)];
}

/** One audio-start … audio-stop on a connection: cuts PCM into audio-chunk events with timestamps. */
class AudioOut {
  private started = false;
  private samples = 0;
  private odd: Buffer | null = null;

  constructor(private readonly send: (ev: WyomingEvent) => boolean) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.send({ type: 'audio-start', data: { ...AUDIO_FORMAT, timestamp: 0 } });
  }

  /** Returns false when the socket's buffer is full (wait for 'drain'). */
  write(bytes: Buffer): boolean {
    this.start();
    let pcm = this.odd ? Buffer.concat([this.odd, bytes]) : bytes;
    this.odd = null;
    if (pcm.length % 2 === 1) {
      this.odd = Buffer.from(pcm.subarray(pcm.length - 1));
      pcm = pcm.subarray(0, pcm.length - 1);
    }
    let ok = true;
    for (let at = 0; at < pcm.length; at += CHUNK_BYTES) {
      const piece = pcm.subarray(at, Math.min(pcm.length, at + CHUNK_BYTES));
      ok = this.send({ type: 'audio-chunk', data: { ...AUDIO_FORMAT, timestamp: this.ms() }, payload: piece });
      this.samples += piece.length / 2;
    }
    return ok;
  }

  stop(): void {
    this.start();
    this.send({ type: 'audio-stop', data: { timestamp: this.ms() } });
  }

  private ms(): number {
    return Math.floor((this.samples * 1000) / SAMPLE_RATE);
  }
}

interface Stream {
  voice: ResolvedVoice;
  text: string;
  stopping: boolean;
  running: boolean;
  done: Promise<void>;
  audio: AudioOut;
  pieces: number;
}

class Connection {
  private readonly parser: EventParser;
  /** Aborted when the client leaves (or the connection is closed by us). */
  private readonly gone = new AbortController();
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private stream: Stream | null = null;
  private ended = false;
  closing = false;

  constructor(private readonly socket: Socket, private readonly deps: WyomingDeps) {
    this.parser = new EventParser(deps.limits);
    socket.setNoDelay(true);
    socket.setTimeout(deps.idleTimeoutMs ?? 300_000);
    socket.on('timeout', () => {
      if (this.idle()) this.end();
    });
    socket.on('data', (b: Buffer) => this.onData(b));
    socket.on('end', () => {
      // The client sent everything it will: finish what it asked, then close.
      this.closing = true;
      if (this.idle()) this.end();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.ended = true;
      this.gone.abort();
    });
  }

  /** Nothing in progress or waiting, and no open stream. */
  idle(): boolean {
    return this.queued === 0 && this.stream === null;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.gone.abort(); // whatever still runs for this connection stops
    this.socket.end();
    // A client that never reads must not hold the socket open.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  destroy(): void {
    this.ended = true;
    this.socket.destroy();
  }

  private send(ev: WyomingEvent): boolean {
    if (this.ended || this.socket.destroyed) return true;
    return this.socket.write(encodeEvent(ev));
  }

  /** Tells the client what went wrong, then closes the connection. */
  private fail(f: WyomingFailure): void {
    if (this.ended) return;
    this.send({ type: 'error', data: { text: f.message, code: f.code } });
    this.stream = null;
    this.end();
  }

  private onData(b: Buffer): void {
    if (this.ended) return;
    let events: WyomingEvent[];
    try {
      events = this.parser.push(b);
    } catch (e) {
      this.deps.log('info', 'wyoming: malformed event, closing the connection', { error: (e as Error).message });
      this.fail(new WyomingFailure('protocol_error', e instanceof FramingError ? e.message : 'malformed event'));
      return;
    }
    for (const ev of events) this.dispatch(ev);
  }

  /** Events run in order; a slow one (a synthesis) holds the ones behind it. */
  private enqueue(fn: () => void | Promise<void>): void {
    this.queued++;
    // A client writing far ahead of us waits (TCP backpressure) instead of filling memory.
    if (this.queued > 64) this.socket.pause();
    this.chain = this.chain
      .then(async () => {
        if (!this.ended) await fn();
      })
      .catch((e: unknown) => {
        if (!(e instanceof ClientGoneError) && !this.ended) {
          const f = failureFrom(e);
          if (f.code === 'internal_error') this.deps.log('error', 'wyoming: request failed', { err: (e as Error)?.stack ?? String(e) });
          this.fail(f);
        }
      })
      .finally(() => {
        this.queued--;
        if (this.queued <= 16 && this.socket.isPaused()) this.socket.resume();
        if ((this.closing || this.ended) && this.idle()) this.end();
      });
  }

  private dispatch(ev: WyomingEvent): void {
    switch (ev.type) {
      case 'describe':
        this.enqueue(() => void this.send(infoEvent({ voices: this.deps.voices(), version: this.deps.version })));
        return;
      case 'ping':
        this.enqueue(() => void this.send({ type: 'pong', data: typeof ev.data.text === 'string' ? { text: ev.data.text } : {} }));
        return;
      case 'synthesize':
        this.enqueue(() => {
          // A streaming client sends the whole text this way too, for servers that do not stream.
          if (this.stream) return;
          return this.synthesize(ev.data);
        });
        return;
      case 'synthesize-start':
        this.enqueue(() => this.startStream(ev.data));
        return;
      case 'synthesize-chunk':
        this.enqueue(() => this.addText(ev.data));
        return;
      case 'synthesize-stop':
        this.enqueue(() => this.stopStream());
        return;
      default:
        // Wyoming servers drop events they do not know (select-program, audio from a satellite...).
        return;
    }
  }

  private checkText(text: unknown): string {
    if (typeof text !== 'string') throw new WyomingFailure('bad_request', "'text' must be a string.");
    if (text.includes('\u0000')) throw new WyomingFailure('bad_request', "'text' must not contain NUL characters.");
    if (text.length > this.deps.maxInputChars) {
      throw new WyomingFailure('text_too_long', `The text is ${text.length} characters; the limit is ${this.deps.maxInputChars}.`);
    }
    return text;
  }

  private async synthesize(data: Record<string, unknown>): Promise<void> {
    const text = this.checkText(data.text);
    if (text.trim().length === 0) throw new WyomingFailure('empty_text', 'There is no text to speak.');
    const voice = pickVoice(data.voice, this.deps.voices(), this.deps.voiceMap);
    const audio = new AudioOut((e) => this.send(e));
    await this.speak(text, voice, audio, 'synthesize');
    audio.stop();
  }

  private startStream(data: Record<string, unknown>): void {
    if (this.stream) throw new WyomingFailure('protocol_error', 'synthesize-start while a stream is open.');
    const voice = pickVoice(data.voice, this.deps.voices(), this.deps.voiceMap);
    this.stream = {
      voice, text: '', stopping: false, running: false, done: Promise.resolve(), pieces: 0,
      audio: new AudioOut((e) => this.send(e)),
    };
  }

  private addText(data: Record<string, unknown>): void {
    const s = this.stream;
    if (!s) return; // a chunk outside a stream: dropped, like any event we do not expect
    const text = this.checkText(data.text);
    if (s.text.length + text.length > this.deps.maxInputChars) {
      throw new WyomingFailure('text_too_long', `A sentence is longer than ${this.deps.maxInputChars} characters.`);
    }
    s.text += text;
    this.pump(s);
  }

  private async stopStream(): Promise<void> {
    const s = this.stream;
    if (!s) {
      // Nothing was started: say we are done, so the client does not wait.
      this.send({ type: 'synthesize-stopped', data: {} });
      return;
    }
    s.stopping = true;
    this.pump(s);
    await s.done;
    if (this.stream !== s || this.ended) return; // it failed (the client was told) or left
    s.audio.stop();
    this.send({ type: 'synthesize-stopped', data: {} });
    this.stream = null;
  }

  /** Speaks the stream's complete sentences, in order, one piece at a time, while text keeps arriving. */
  private pump(s: Stream): void {
    if (s.running) return;
    s.running = true;
    s.done = (async () => {
      try {
        for (;;) {
          const [piece, rest] = takeSentences(s.text, s.stopping);
          s.text = rest;
          if (piece.trim().length === 0) return;
          s.pieces++;
          await this.speak(piece, s.voice, s.audio, 'stream');
        }
      } finally {
        // In the same turn as the last check, so text added from now on starts a new pump.
        s.running = false;
      }
    })().catch((e: unknown) => {
      if (e instanceof ClientGoneError || this.ended) return;
      const f = failureFrom(e);
      if (f.code === 'internal_error') this.deps.log('error', 'wyoming: stream failed', { err: (e as Error)?.stack ?? String(e) });
      this.fail(f);
    });
  }

  /** One pipeline run: the text's PCM goes out as audio-chunk events (audio-start before the first). */
  private async speak(text: string, voice: ResolvedVoice, audio: AudioOut, kind: 'synthesize' | 'stream'): Promise<void> {
    const stats = newStats();
    const t0 = performance.now();
    const id = randomUUID();
    const sink = {
      write: (b: Buffer) => audio.write(b),
      once: (_ev: 'drain', fn: () => void) => this.socket.once('drain', fn),
    };
    // Synthesis is paced by the client's reading; one that stops reading would hold its slot.
    const stallMs = this.deps.clientStallMs ?? 60_000;
    const stopWatch = watchStall({ socket: () => this.socket, queued: () => 0, onClose: (fn) => this.socket.once('close', fn) }, {
      stallMs,
      waiting: () => false, // bytes wait for this client only in the socket's own queue
      onStall: () => {
        this.deps.log('info', 'wyoming: client accepted no audio, closing the connection', { id, stallMs });
        this.destroy();
      },
    });
    let outcome = 'ok';
    let error: string | undefined;
    try {
      await runSpeechPipeline(this.deps.pipeline, {
        job: { requestId: id, text, voice: voice.spec, speed: 1, lang: voice.lang },
        format: 'pcm', streaming: true, signal: this.gone.signal, sink, onFirstByte: () => audio.start(), stats,
      });
    } catch (e) {
      outcome = e instanceof ClientGoneError || this.gone.signal.aborted ? 'client_gone' : 'failed';
      if (outcome === 'failed') error = (e as Error)?.message ?? String(e);
      throw e;
    } finally {
      stopWatch();
      this.deps.log('info', 'wyoming speech', {
        id, kind, voice: voice.spec, characters: text.length,
        audioSeconds: Math.round((stats.samples / SAMPLE_RATE) * 1000) / 1000,
        outcome, durationMs: Math.round(performance.now() - t0),
        ...(error ? { error } : {}),
      });
    }
  }
}

export function createWyomingServer(deps: WyomingDeps): WyomingServer {
  const connections = new Set<Connection>();
  let closing = false;
  const server = createServer((socket) => {
    const conn = new Connection(socket, deps);
    connections.add(conn);
    socket.once('close', () => connections.delete(conn));
    if (closing) {
      conn.closing = true;
      conn.end();
    }
  });
  server.maxConnections = deps.maxConnections ?? 256;
  server.on('error', (err) => deps.log('error', 'wyoming server error', { err: err.message }));

  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    close() {
      closing = true;
      const closed = new Promise<void>((resolve) => {
        if (!server.listening) resolve();
        else server.close(() => resolve());
      });
      for (const conn of connections) {
        conn.closing = true;
        if (conn.idle()) conn.end();
      }
      return closed;
    },
    closeAllConnections() {
      for (const conn of connections) conn.destroy();
    },
  };
}
