// Kokoro-FastAPI's pronunciation tools, same paths and bodies:
//   POST /dev/phonemize               {text, language?} -> {phonemes, tokens}: what the model
//                                      would be fed for the text (an engine's front end).
//   POST /dev/generate_from_phonemes  {phonemes, voice, ...} -> audio: speech from (hand-fixed)
//                                      phonemes, through the speech route's own handler and
//                                      pipeline (admission, chunks, resume, encoders, formats).
// Both need the API key like /v1 (auth.ts covers every path that is not open).
import type { FastifyInstance } from 'fastify';
import type { Vocab } from '../../../engine/text/vocab.js';
import type { Lang } from '../../../protocol/constants.js';
import type { PhonemizeResponse } from '../../../protocol/engine-wire.js';
import { ClientGoneError } from '../../speech/errors.js';
import { parseGenerateFromPhonemes, parsePhonemizeRequest } from '../dev-request.js';
import { speechRoutes, type SpeechRouteOptions } from './speech.js';

export const PHONEMIZE_PATH = '/dev/phonemize';
export const GENERATE_FROM_PHONEMES_PATH = '/dev/generate_from_phonemes';

export interface DevRouteOptions {
  speech: SpeechRouteOptions;
  /** The model's phoneme vocabulary (config.json), to check phonemes before any work. */
  vocab: Vocab;
  /** A text's phonemes from an engine (gateway/chunks/phonemizer.ts); rejects with SpeechError. */
  phonemize: (text: string, lang: Lang, signal: AbortSignal) => Promise<PhonemizeResponse>;
}

export function devRoutes(app: FastifyInstance, opts: DevRouteOptions): void {
  app.post(PHONEMIZE_PATH, async (request, reply) => {
    const { text, lang } = parsePhonemizeRequest(request.body, opts.speech.maxInputChars);
    // A client that hangs up stops the engine's work at its next sentence.
    const gone = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) gone.abort(new ClientGoneError());
    });
    const r = await opts.phonemize(text, lang, gone.signal);
    return reply.code(200).header('cache-control', 'no-store').send({ phonemes: r.phonemes, tokens: r.tokens });
  });

  speechRoutes(app, opts.speech, {
    path: GENERATE_FROM_PHONEMES_PATH,
    parse: (body, limits) => parseGenerateFromPhonemes(body, limits, opts.vocab),
  });
}
