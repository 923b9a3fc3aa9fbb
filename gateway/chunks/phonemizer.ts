// /dev/phonemize's trip to an engine: the text front end (G2P) lives in the engines, so one is
// leased like a plan's (POST /phonemize there), and another is tried when it fails, within
// MAX_ATTEMPTS. No admission slot: it makes no audio, and the engine counts it among its
// requests (ENGINE_MAX_ACTIVE) as it does plans.
import type { PhonemizeResponse } from '../../protocol/engine-wire.js';
import type { Lang } from '../../protocol/constants.js';
import type { SupervisionConfig } from '../engines/config.js';
import { EngineFailure } from '../engines/engine-client.js';
import type { EngineLender } from '../engines/supervisor.js';
import { SpeechError } from '../speech/errors.js';
import { engineFault } from './faults.js';

export interface PhonemizerDeps {
  engines: EngineLender;
  config: SupervisionConfig;
}

/**
 * The phonemes and token ids of `text` in `lang`. Throws SpeechError: 'bad_request' (the engine
 * found nothing to speak, param `text`), 'unavailable' (no engine, attempts spent).
 */
export async function phonemizeText(deps: PhonemizerDeps, text: string, lang: Lang, signal: AbortSignal): Promise<PhonemizeResponse> {
  let last: string | undefined;
  let reason = 'no engine';
  for (let attempt = 1; attempt <= deps.config.maxAttempts; attempt++) {
    const lease = await deps.engines.acquire(signal, { avoid: last, noEngineMs: deps.config.engineWaitMs });
    if (!lease) throw new SpeechError('unavailable', 'No speech engine is ready; try again shortly.', { retryAfterS: Math.max(1, Math.ceil(deps.config.restartBaseMs / 1000) + 2) });
    last = lease.id;
    try {
      // One text's G2P, a sentence per turn between chunks: bounded like one chunk's inference.
      return await lease.client.phonemize({ text, lang }, { signal, timeoutMs: deps.config.chunkTimeoutMs });
    } catch (err) {
      if (signal.aborted || !(err instanceof EngineFailure)) throw err;
      const code = err.engineError?.code;
      if (code === 'invalid_text') throw new SpeechError('bad_request', err.engineError!.message, { param: 'text' });
      if (code === 'invalid_request') throw new SpeechError('engine_refused', 'The engine refused the request.');
      lease.failed(err.message, engineFault(err));
      reason = err.reason;
    } finally {
      lease.release();
    }
  }
  throw new SpeechError('unavailable', `Phonemization failed after ${deps.config.maxAttempts} attempt(s) (${reason}).`, { retryAfterS: 5 });
}
