// Read-only listings: models (OpenAI's list shape; /v1/audio/models adds Open WebUI's
// `models`), voices (Kokoro-FastAPI's shape, which Open WebUI and SillyTavern read), and the
// engines' status rows.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../api-error.js';
import { isSpeechModel, SPEECH_MODELS } from '../speech-request.js';
import { voiceGender, voiceLang } from '../../../engine/text/lang/langs.js';
import { isLang } from '../../../protocol/constants.js';

export interface InfoRouteOptions {
  /** The voices listed: those of the languages spoken. */
  voices: () => readonly string[];
  /** Every voice in the voices directory (`?all=true`); default: `voices`. */
  allVoices?: () => readonly string[];
  engines?: () => unknown[];
}

/** The listings that LISTINGS_PUBLIC opens to clients without a key (names only). */
export const LISTING_PATHS: ReadonlySet<string> = new Set(['/v1/models', '/v1/audio/models', '/v1/audio/voices']);

// A fixed date, so the listing is the same on every start.
const MODELS_CREATED = 1735689600; // 2025-01-01T00:00:00Z

const modelObject = (id: string) => ({ id, object: 'model', created: MODELS_CREATED, owned_by: 'kokoro' });

/** One voice as Open WebUI reads it (`id`) with what the Kokoro name says about it. */
export function voiceObject(name: string) {
  return {
    id: name,
    name,
    language: voiceLang(name) ?? 'unknown',
    gender: voiceGender(name) ?? 'unknown',
  };
}

export function infoRoutes(app: FastifyInstance, opts: InfoRouteOptions): void {
  app.get('/v1/models', async () => ({ object: 'list', data: SPEECH_MODELS.map(modelObject) }));

  // OpenAI's list shape plus `models`, the field Open WebUI reads (`models[].id`).
  app.get('/v1/audio/models', async () => {
    const data = SPEECH_MODELS.map(modelObject);
    return { object: 'list', data, models: data };
  });

  app.get<{ Params: { model: string } }>('/v1/models/:model', async (request) => {
    const id = request.params.model;
    if (!isSpeechModel(id)) {
      throw new ApiError(404, `The model '${id.slice(0, 64).replace(/[^\x20-\x7e]/g, '?')}' does not exist.`, 'invalid_request_error', 'model', 'model_not_found');
    }
    return modelObject(id);
  });

  // Objects by default; `?legacy=true` keeps the plain names of earlier versions. Only voices
  // of the languages spoken are listed (a client offers what it lists); `?all=true` lists every
  // voice in the directory, zh ones too, each with `speakable`.
  app.get<{ Querystring: { legacy?: string; all?: string } }>('/v1/audio/voices', async (request) => {
    const yes = (v: unknown) => /^(true|1)$/i.test(String(v ?? ''));
    if (yes(request.query.all)) {
      const all = (opts.allVoices ?? opts.voices)();
      if (yes(request.query.legacy)) return { voices: [...all] };
      return { voices: all.map((n) => ({ ...voiceObject(n), speakable: isLang(voiceLang(n)) })) };
    }
    const names = opts.voices();
    if (yes(request.query.legacy)) return { voices: [...names] };
    return { voices: names.map(voiceObject) };
  });

  app.get('/v1/engines', async () => ({ engines: opts.engines?.() ?? [] }));
}
