// POST /dev/captioned_speech: speech with word timestamps, in Kokoro-FastAPI's shapes (its
// api/src/routers/development.py and structures/schemas.py were read for them):
//   stream:false  -> one JSON {audio: base64 file, audio_format: content type, timestamps: [{word, start_time, end_time}]}
//   stream:true   -> (the default, as there) one JSON object per line, each {audio: base64 of the
//                    encoded bytes since the line before, audio_format, timestamps: the words of the
//                    chunks handed to the encoder since the line before}; a word's line comes with
//                    or before the line holding its audio.
//   response_format "vtt" | "srt" (ours) -> the whole file's captions as WebVTT or SubRip.
// The body is /v1/audio/speech's, plus `return_timestamps` (default true: false gives
// `timestamps: null`, as there); `model` defaults to kokoro and `voice` to af_heart, as there. Word times are the model's own (gateway/captions/timing.ts).
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../api-error.js';
import { toApiError } from '../error-handling.js';
import { parseSpeechRequest } from '../speech-request.js';
import type { SpeechRouteOptions } from './speech.js';
import { newStats, runSpeechPipeline, spillConfigOf, type AudioSink, type WholeFile } from '../../speech/pipeline.js';
import { DeliveryBuffer } from '../../speech/delivery-buffer.js';
import { watchClientStall } from '../client-stall.js';
import { deliver } from '../deliver.js';
import { readWholeFile } from '../../speech/encoder-session.js';
import { ClientGoneError } from '../../speech/errors.js';
import { toTimestamps, type TimedWord, type WordTimestamp } from '../../captions/timing.js';
import { CAPTION_CONTENT_TYPES, CAPTION_FORMATS, toSrt, toVtt, type CaptionFormat } from '../../captions/formats.js';
import { contentTypeFor as audioContentType } from '../../../audio/encode/content-type.js';
import { SAMPLE_RATE } from '../../../protocol/constants.js';

export const CAPTIONED_SPEECH_PATH = '/dev/captioned_speech';

/** What the speech route gets, less its own extras (download links). */
export type CaptionRouteOptions = Omit<SpeechRouteOptions, 'downloads'>;

export function captionRoutes(app: FastifyInstance, opts: CaptionRouteOptions): void {
  app.post(CAPTIONED_SPEECH_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    const fail = (err: unknown, status?: number): never => {
      const api = toApiError(err, opts.bodyLimit);
      opts.metrics.requests.inc({ format: 'captions', status: String(status ?? api.status), outcome: api.status >= 500 ? 'server_error' : 'client_error' });
      throw api;
    };
    const raw = request.body;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail(badRequest('The request body must be a JSON object.'));
    const body = { ...(raw as Record<string, unknown>) };

    // Kokoro-FastAPI's defaults on this route.
    if (body.model === undefined) body.model = 'kokoro';
    if (body.voice === undefined) body.voice = 'af_heart';
    let returnTimestamps = true;
    if (body.return_timestamps !== undefined && body.return_timestamps !== null) {
      if (typeof body.return_timestamps !== 'boolean') return fail(badRequest("'return_timestamps' must be a boolean.", 'return_timestamps', 'invalid_type'));
      returnTimestamps = body.return_timestamps;
    }
    if (body.stream_format !== undefined && body.stream_format !== 'audio') {
      return fail(badRequest(`${CAPTIONED_SPEECH_PATH} streams JSON lines; 'stream_format' is not supported here.`, 'stream_format'));
    }
    let captions: CaptionFormat | null = null;
    if (typeof body.response_format === 'string' && (CAPTION_FORMATS as readonly string[]).includes(body.response_format)) {
      captions = body.response_format as CaptionFormat;
      if (body.stream === true) return fail(badRequest(`Captions (${captions}) are a whole file: send 'stream': false or leave 'stream' out.`, 'stream'));
      if (body.return_timestamps === false) return fail(badRequest(`Captions (${captions}) are made from the timestamps: 'return_timestamps' cannot be false.`, 'return_timestamps'));
      body.response_format = 'pcm'; // the audio is not returned: the cheapest encoder
      body.stream = false;
    }
    let r;
    try {
      r = parseSpeechRequest(body, { maxInputChars: opts.maxInputChars, voices: opts.voices(), voiceMap: opts.voiceMap });
    } catch (e) {
      return fail(e);
    }
    const gone = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) gone.abort();
    });
    const job = { requestId: request.id, text: r.input, voice: r.voice, speed: r.speed, lang: r.lang, volume: r.volume, timestamps: returnTimestamps };
    const stats = newStats();
    const words: WordTimestamp[] = [];
    const onWords = (w: readonly TimedWord[], offset: number) => words.push(...toTimestamps(w, offset, SAMPLE_RATE));
    const audioFormat = audioContentType(r.format);

    if (!r.stream) {
      let file: WholeFile;
      try {
        file = (await runSpeechPipeline(opts.pipeline, { job, format: r.format, streaming: false, signal: gone.signal, stats, onWords }))!;
      } catch (e) {
        if (e instanceof ClientGoneError) throw e;
        return fail(e);
      }
      opts.metrics.requests.inc({ format: captions ?? r.format, status: '200', outcome: 'ok' });
      if (captions) {
        file.dispose();
        return reply.code(200).type(CAPTION_CONTENT_TYPES[captions]).send(captions === 'vtt' ? toVtt(words) : toSrt(words));
      }
      // Kokoro-FastAPI's shape puts the audio inside the JSON, so this one answer is held whole.
      const audio = await readWholeFile(file);
      return reply.code(200).send({ audio: audio.toString('base64'), audio_format: audioFormat, timestamps: returnTimestamps ? words : null });
    }

    // One JSON line per encoded write, with the words that arrived since the line before. The
    // lines wait in a delivery buffer (memory, then a spill file) as on the speech route, so the
    // engines never wait on this client, and one that stops reading is cut after CLIENT_STALL_MS.
    const buffer = new DeliveryBuffer(spillConfigOf(opts.pipeline));
    let sent = 0;
    const line = (audio: Buffer) => {
      const ts = returnTimestamps ? words.slice(sent) : null;
      sent = words.length;
      return buffer.write(Buffer.from(`${JSON.stringify({ audio: audio.toString('base64'), audio_format: audioFormat, timestamps: ts })}\n`));
    };
    const sink: AudioSink = { write: line, once: (ev, fn) => buffer.once(ev, fn) };
    let firstByte!: () => void;
    const first = new Promise<'first'>((resolve) => (firstByte = () => resolve('first')));
    const run = runSpeechPipeline(opts.pipeline, { job, format: r.format, streaming: true, signal: gone.signal, sink, onFirstByte: firstByte, stats, onWords });
    run.catch(() => {});
    try {
      await Promise.race([first, run]);
    } catch (e) {
      buffer.close();
      if (e instanceof ClientGoneError) throw e;
      return fail(e);
    }
    let stalled = false;
    run.then(
      () => {
        // Words whose audio the encoder still held when it flushed its last bytes.
        if (returnTimestamps && sent < words.length) line(Buffer.alloc(0));
        buffer.end();
      },
      // Bytes went out already: cut the connection so the truncation is visible.
      (e: unknown) => buffer.end(e instanceof Error ? e : new Error(String(e))),
    );
    const out = new PassThrough();
    void deliver(buffer, out);
    watchClientStall(reply.raw, {
      stallMs: opts.clientStallMs,
      waiting: () => buffer.pending > 0 || out.readableLength > 0 || out.writableLength > 0,
      onStall: () => {
        stalled = true;
        opts.metrics.clientStalls.inc({ format: r.format });
        reply.raw.destroy();
      },
    });
    void Promise.allSettled([run, new Promise((resolve) => reply.raw.once('close', resolve))]).then(([result]) => {
      buffer.close();
      if (buffer.spilled) opts.metrics.spills.inc({ format: r.format });
      const outcome = stalled ? 'client_stalled' : result.status === 'fulfilled' ? 'ok' : result.reason instanceof ClientGoneError ? 'client_gone' : 'truncated';
      opts.metrics.requests.inc({ format: r.format, status: '200', outcome });
    });
    reply.code(200).header('cache-control', 'no-store').type('application/json');
    return reply.send(out);
  });
}
