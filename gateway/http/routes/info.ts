// Read-only listings: models (OpenAI's list shape), voices (Kokoro-FastAPI's shape, which
// Open WebUI and SillyTavern read), and the engines' status rows.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../api-error.js';
import { SPEECH_MODELS } from '../speech-request.js';

export interface InfoRouteOptions {
  voices: () => readonly string[];
  engines?: () => unknown[];
}

// A fixed date, so the listing is the same on every start.
const MODELS_CREATED = 1735689600; // 2025-01-01T00:00:00Z

const modelObject = (id: string) => ({ id, object: 'model', created: MODELS_CREATED, owned_by: 'kokoro' });

export function infoRoutes(app: FastifyInstance, opts: InfoRouteOptions): void {
  app.get('/v1/models', async () => ({ object: 'list', data: SPEECH_MODELS.map(modelObject) }));

  app.get<{ Params: { model: string } }>('/v1/models/:model', async (request) => {
    const id = request.params.model;
    if (!(SPEECH_MODELS as readonly string[]).includes(id)) {
      throw new ApiError(404, `The model '${id.slice(0, 64)}' does not exist.`, 'invalid_request_error', 'model', 'model_not_found');
    }
    return modelObject(id);
  });

  app.get('/v1/audio/voices', async () => ({ voices: [...opts.voices()] }));

  app.get('/v1/engines', async () => ({ engines: opts.engines?.() ?? [] }));
}
