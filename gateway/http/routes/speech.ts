// POST /v1/audio/speech: validation, then the pipeline, then one of three ways out —
// chunked audio (default), SSE events, or the whole file with Content-Length (stream:false).
// Synthesis never waits on the client: streamed output goes through a DeliveryBuffer, a whole
// file is sent from its spool after the pipeline (and its admission slot) finished, and a
// client that stops taking bytes for CLIENT_STALL_MS is disconnected (client-stall.ts).
// The status line waits for the first encoded byte, so any failure before it is a proper
// error response; a failure after it cuts the connection so the client sees truncation (SSE:
// an `error` event, then the end of the stream).
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, badRequest } from '../api-error.js';
import { toTimestamps, type TimedWord } from '../../captions/timing.js';
import { logSpeech, type SpeechOutcome } from '../../log.js';
import type { GatewayMetrics } from '../../metrics.js';
import { contentTypeFor as audioContentType } from '../../../audio/encode/content-type.js';
import { newStats, runSpeechPipeline, spillConfigOf, type AudioSink, type PipelineDeps, type PipelineStats, type WholeFile } from '../../speech/pipeline.js';
import { DeliveryBuffer } from '../../speech/delivery-buffer.js';
import { SseEvents } from '../sse-events.js';
import { watchClientStall } from '../client-stall.js';
import { deliver } from '../deliver.js';
import { ClientGoneError, SpeechError } from '../../speech/errors.js';
import { parseSpeechRequest, type SpeechLimits, type SpeechRequest } from '../speech-request.js';
import { toApiError } from '../error-handling.js';
import { SAMPLE_RATE } from '../../../protocol/constants.js';
import { type AudioFormat } from '../../../audio/encode/types.js';
import type { VoiceMap } from '../voice-map.js';
import { startDownload, type DownloadLinks } from '../download-links.js';

export interface SpeechRouteOptions {
  pipeline: PipelineDeps;
  metrics: GatewayMetrics;
  maxInputChars: number;
  bodyLimit: number;
  /** Speakable voice names, read per request (engines may come and go). */
  voices: () => ReadonlySet<string>;
  /** OpenAI voice names → Kokoro voices (VOICE_MAP). */
  voiceMap?: VoiceMap;
  /** Files for `return_download_link` (absent: that field is a 400). */
  downloads?: DownloadLinks;
  /** CLIENT_STALL_MS: a client that accepts no byte this long while bytes wait is disconnected. */
  clientStallMs: number;
}

/** Usage reported in SSE: one output token per 20 ms of audio (480 samples at 24 kHz). */
export const SAMPLES_PER_OUTPUT_TOKEN = 480;

export function usageFor(stats: PipelineStats) {
  const output = Math.ceil(stats.samples / SAMPLES_PER_OUTPUT_TOKEN);
  return { input_tokens: stats.inputTokens, output_tokens: output, total_tokens: stats.inputTokens + output };
}

export const SPEECH_PATH = '/v1/audio/speech';

/** `timestamps` (our extension): true asks for `speech.audio.timing` events, so only with SSE. */
function sseTimestamps(body: unknown, sse: boolean): boolean | ApiError {
  const v = (body as { timestamps?: unknown }).timestamps;
  if (v === undefined || v === null || v === false) return false;
  if (v !== true) return badRequest("'timestamps' must be a boolean.", 'timestamps', 'invalid_type');
  if (!sse) return badRequest("'timestamps': true needs 'stream_format': 'sse' (or use /dev/captioned_speech).", 'timestamps');
  return true;
}


/** A speech route: its path and its body reader (/dev/generate_from_phonemes has its own). */
export interface SpeechRoute {
  path: string;
  parse: (body: unknown, limits: SpeechLimits) => SpeechRequest;
}

export function speechRoutes(app: FastifyInstance, opts: SpeechRouteOptions, route: SpeechRoute = { path: SPEECH_PATH, parse: parseSpeechRequest }): void {
  const { metrics } = opts;
  const handled = new WeakSet<FastifyRequest>();

  // Requests refused before the handler ran (auth, body size, media type, JSON syntax) still
  // get their line and their count.
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url !== route.path || handled.has(request)) return;
    const status = reply.statusCode;
    const outcome: SpeechOutcome = status >= 500 ? 'server_error' : 'client_error';
    metrics.requests.inc({ format: 'unknown', status: String(status), outcome });
    logSpeech(request.log, {
      id: request.id, format: undefined, voice: undefined, characters: 0, audioSeconds: 0,
      status, outcome, ttfbMs: null, durationMs: Math.round(reply.elapsedTime),
    });
  });

  app.post(route.path, async (request: FastifyRequest, reply: FastifyReply) => {
    handled.add(request);
    const t0 = performance.now();
    const stats = newStats();
    let req: SpeechRequest | undefined;
    let recorded = false;
    const record = (status: number, outcome: SpeechOutcome, err?: unknown) => {
      if (recorded) return;
      recorded = true;
      const format: AudioFormat | 'unknown' = req?.format ?? 'unknown';
      const durationMs = performance.now() - t0;
      const ttfbMs = stats.firstByteAt === null ? null : stats.firstByteAt - t0;
      metrics.requests.inc({ format, status: String(status), outcome });
      if (req) {
        metrics.inFlight.dec({ format });
        metrics.latency.observe({ format }, durationMs / 1000);
        if (ttfbMs !== null) metrics.ttfb.observe({ format }, ttfbMs / 1000);
        if (stats.samples > 0) metrics.audioSeconds.inc({ format }, stats.samples / SAMPLE_RATE);
        if (stats.encoderReplacements > 0) metrics.encoderReplacements.inc({ format }, stats.encoderReplacements);
      }
      logSpeech(request.log, {
        id: request.id,
        format: req?.format,
        ...(req ? { model: req.model } : {}),
        voice: req?.voice,
        characters: req?.input.length ?? 0,
        audioSeconds: Math.round((stats.samples / SAMPLE_RATE) * 1000) / 1000,
        status,
        outcome,
        ttfbMs: ttfbMs === null ? null : Math.round(ttfbMs),
        durationMs: Math.round(durationMs),
        ...(stats.encoderReplacements > 0 ? { encoderReplacements: stats.encoderReplacements } : {}),
        ...(err !== undefined && !(err instanceof ClientGoneError) ? { error: err instanceof ApiError || err instanceof SpeechError ? err.message : String((err as Error)?.message ?? err) } : {}),
      });
    };
    const fail = (err: unknown): never => {
      if (err instanceof ClientGoneError) record(499, 'client_gone', err);
      else {
        const api = toApiError(err, opts.bodyLimit);
        if (!(err instanceof ApiError) && !(err instanceof SpeechError)) request.log.error({ err }, 'speech request failed');
        record(api.status, api.status >= 500 ? 'server_error' : 'client_error', err);
        throw api;
      }
      throw err;
    };

    try {
      req = route.parse(request.body, { maxInputChars: opts.maxInputChars, voices: opts.voices(), voiceMap: opts.voiceMap });
    } catch (e) {
      fail(e);
    }
    const r = req!;
    let download: ReturnType<typeof startDownload>;
    try {
      download = startDownload(opts.downloads, r, opts.pipeline);
    } catch (e) {
      fail(e);
    }
    const pipeline = download!.pipeline;
    reply.headers(download!.headers);
    metrics.inFlight.inc({ format: r.format });

    // The client leaving (socket closed before our last byte) aborts everything at once.
    const gone = new AbortController();
    let delivered = false; // the last byte was handed to the socket
    const closed = new Promise<void>((resolve) => {
      reply.raw.once('finish', () => {
        delivered = true;
        resolve();
      });
      reply.raw.once('close', () => {
        if (!delivered && !reply.raw.writableFinished) gone.abort();
        resolve();
      });
    });
    // The client may already be gone (it sent its body and hung up).
    if (reply.raw.destroyed || request.raw.socket?.destroyed) gone.abort();
    // Word timing events in SSE (our extension, `timestamps: true`): gateway/captions.
    const timing = sseTimestamps(request.body, r.sse);
    if (timing instanceof ApiError) return fail(timing);
    const job = { requestId: request.id, text: r.input, voice: r.voice, speed: r.speed, lang: r.lang, volume: r.volume, timestamps: timing, ...(r.phonemes !== undefined ? { phonemes: r.phonemes } : {}) };

    let stalled = false;
    const onStall = () => {
      stalled = true;
      metrics.clientStalls.inc({ format: r.format });
      reply.raw.destroy(); // 'close' follows: the pipeline (if still running) is aborted, buffers freed
    };

    if (!r.stream) {
      let file: WholeFile;
      try {
        file = (await download!.track(runSpeechPipeline(pipeline, { job, format: r.format, streaming: false, signal: gone.signal, stats })))!;
      } catch (e) {
        return fail(e);
      }
      // Synthesis is over and its slot released; the file is sent from its spool (memory, then disk).
      stats.firstByteAt = performance.now();
      if (file.spilled) metrics.spills.inc({ format: r.format });
      const body = file.stream();
      watchClientStall(reply.raw, { stallMs: opts.clientStallMs, waiting: () => !body.readableEnded, onStall });
      void closed.then(() => {
        file.dispose();
        body.destroy();
        record(200, delivered ? 'ok' : stalled ? 'client_stalled' : 'client_gone');
      });
      return reply.code(200).type(audioContentType(r.format)).header('content-length', String(file.size)).send(body);
    }

    // Encoder output waits here for the client (memory, then a spill file), so the engines and the
    // admission slot are done when synthesis is, whatever the client does.
    const buffer = new DeliveryBuffer(spillConfigOf(opts.pipeline));
    const sse = r.sse ? new SseEvents(buffer) : null;
    const sink: AudioSink = sse ? { write: (b: Buffer) => sse.audio(b), once: (ev, fn) => buffer.once(ev, fn) } : buffer;
    let firstByte!: () => void;
    const first = new Promise<'first'>((resolve) => (firstByte = () => resolve('first')));
    const onWords = timing ? (words: readonly TimedWord[], offset: number) => {
      sse?.send({ type: 'speech.audio.timing', words: toTimestamps(words, offset, SAMPLE_RATE) });
    } : undefined;
    const run = download!.track(runSpeechPipeline(pipeline, { job, format: r.format, streaming: true, signal: gone.signal, sink, onFirstByte: firstByte, stats, onWords }));
    run.catch(() => {});
    try {
      await Promise.race([first, run]);
    } catch (e) {
      buffer.close();
      return fail(e);
    }

    run.then(
      () => {
        sse?.done(usageFor(stats));
        buffer.end();
      },
      (e: unknown) => {
        // SSE: an error event (OpenAI's error shape) says the stream failed, then it ends.
        if (sse && !(e instanceof ClientGoneError)) {
          sse.error(toApiError(e, opts.bodyLimit).toBody());
          buffer.end();
          return;
        }
        // Audio bytes already went out: what is buffered is sent, then the connection is cut so
        // the truncation cannot pass as an end.
        buffer.end(e instanceof Error ? e : new Error(String(e)));
      },
    );
    const out = new PassThrough();
    void deliver(buffer, out);
    watchClientStall(reply.raw, {
      stallMs: opts.clientStallMs,
      waiting: () => buffer.pending > 0 || out.readableLength > 0 || out.writableLength > 0,
      onStall,
    });
    void Promise.allSettled([run, closed]).then(([result]) => {
      buffer.close();
      if (buffer.spilled) metrics.spills.inc({ format: r.format });
      if (stalled) record(200, 'client_stalled');
      else if (result.status === 'rejected') {
        const e = result.reason;
        if (e instanceof ClientGoneError) record(200, 'client_gone', e);
        else record(200, 'truncated', e);
      } else record(200, delivered ? 'ok' : 'client_gone');
    });

    reply.code(200).header('cache-control', 'no-store');
    if (r.sse) reply.type('text/event-stream; charset=utf-8');
    else reply.type(audioContentType(r.format));
    return reply.send(out);
  });
}
