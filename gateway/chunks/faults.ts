// How an engine failure is read, shared by the planner and the scheduler: errors about the
// request fail it at once (no retry); everything else is the engine's fault, reported through
// lease.failed() so the supervisor kills ('hung'), ejects ('broken') or leaves it ('busy').
import type { EngineFailure } from '../engines/engine-client.js';
import type { EngineFault } from '../engines/supervisor.js';
import { SpeechError } from '../speech/errors.js';

export type ChunkLog = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** Errors that are about the request, not the engine: no retry. */
export function requestError(f: EngineFailure): SpeechError | null {
  const code = f.engineError?.code;
  if (code === 'invalid_text') return new SpeechError('bad_request', f.engineError!.message, { param: 'input' });
  if (code === 'invalid_voice') return new SpeechError('bad_request', f.engineError!.message, { param: 'voice' });
  if (code === 'invalid_phonemes') return new SpeechError('bad_request', f.engineError!.message, { param: 'phonemes' });
  if (code === 'invalid_speed') return new SpeechError('bad_request', f.engineError!.message, { param: 'speed' });
  if (code === 'invalid_request') return new SpeechError('engine_refused', 'The engine refused the request.');
  return null;
}

export function engineFault(f: EngineFailure): EngineFault {
  if (f.reason === 'stall' || f.reason === 'chunk_timeout') return 'hung';
  // Busy or restarting: try elsewhere without ejecting.
  if (f.engineError?.code === 'overloaded' || f.engineError?.code === 'not_ready') return 'busy';
  return 'broken';
}
