// Read-only listings: models (OpenAI's list shape; /v1/audio/models adds Open WebUI's
// `models`), voices (Kokoro-FastAPI's shape, which Open WebUI and SillyTavern read), and the
// engines' status rows.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../api-error.js';
import { isSpeechModel, SPEECH_MODELS } from '../speech-request.js';

export interface InfoRouteOptions {
  voices: () => readonly string[];
  engines?: () => unknown[];
}

/** The listings that LISTINGS_PUBLIC opens to clients without a key (names only). */
export const LISTING_PATHS: ReadonlySet<string> = new Set(['/v1/models', '/v1/audio/models', '/v1/audio/voices']);

// A fixed date, so the listing is the same on every start.
const MODELS_CREATED = 1735689600; // 2025-01-01T00:00:00Z

const modelObject = (id: string) => ({ id, object: 'model', created: MODELS_CREATED, owned_by: 'kokoro' });

/** Kokoro's voice prefix letters → language tag. */
const LANGUAGES: Readonly<Record<string, string>> = {
  a: 'en-us', b: 'en-gb', e: 'es', f: 'fr-fr', h: 'hi', i: 'it', j: 'ja', p: 'pt-br', z: 'zh',
};

/** One voice as Open WebUI reads it (`id`) with what the Kokoro name says about it. */
export function voiceObject(name: string) {
  return {
    id: name,
    name,
    language: LANGUAGES[name[0]!] ?? 'unknown',
    gender: name[1] === 'm' ? 'male' : name[1] === 'f' ? 'female' : 'unknown',
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

  // Objects by default; `?legacy=true` keeps the plain names of earlier versions.
  app.get<{ Querystring: { legacy?: string } }>('/v1/audio/voices', async (request) => {
    const names = opts.voices();
    if (/^(true|1)$/i.test(String(request.query.legacy ?? ''))) return { voices: [...names] };
    return { voices: names.map(voiceObject) };
  });

  app.get('/v1/engines', async () => ({ engines: opts.engines?.() ?? [] }));
}
