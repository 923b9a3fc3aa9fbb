// Why a speech request failed, in the core's words. The HTTP front alone turns a kind into a
// status (gateway/http/api-error.ts), so admission, the pool and the pipeline know no HTTP.
export type SpeechErrorKind =
  | 'busy' // admission queue full or waited too long
  | 'unavailable' // no engine ready, or every attempt failed
  | 'bad_request' // the engine refused the input (names `param`)
  | 'engine_refused' // the engine refused a request the gateway built: our bug, not the client's
  | 'plan_mismatch' // a re-plan on another engine split the text differently: stopped, never spliced
  | 'encoder_failed'
  | 'cut_short' // the source ended without its end event
  | 'too_long' // the audio would be (or became) longer than MAX_AUDIO_SECONDS
  | 'timestamps_unavailable' // word timestamps asked for, and the engines' model gives no durations
  | 'client_gone';

export class SpeechError extends Error {
  readonly param: string | null;
  /** Seconds a client should wait before retrying (busy, unavailable). */
  readonly retryAfterS?: number;

  constructor(readonly kind: SpeechErrorKind, message: string, opts: { param?: string; retryAfterS?: number } = {}) {
    super(message);
    this.name = 'SpeechError';
    this.param = opts.param ?? null;
    this.retryAfterS = opts.retryAfterS;
  }
}

/** The client left before the request finished; nothing is sent and nothing is logged as an error. */
export class ClientGoneError extends SpeechError {
  constructor() {
    super('client_gone', 'client went away');
  }
}
