// The one table from core error kinds to what the client sees.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { speechApiError } from '../../gateway/http/api-error.js';
import { toApiError } from '../../gateway/http/error-handling.js';
import { ClientGoneError, SpeechError, type SpeechErrorKind } from '../../gateway/speech/errors.js';

test('each kind maps to its status, type and code', () => {
  const table: [SpeechErrorKind, number, string, string | null][] = [
    ['busy', 429, 'rate_limit_error', 'rate_limit_exceeded'],
    ['unavailable', 503, 'server_error', 'service_unavailable'],
    ['bad_request', 400, 'invalid_request_error', 'invalid_value'],
    ['engine_refused', 500, 'server_error', null],
    ['encoder_failed', 500, 'server_error', 'encoder_failed'],
    ['cut_short', 500, 'server_error', 'synthesis_incomplete'],
    ['too_long', 413, 'invalid_request_error', 'audio_too_long'],
    ['client_gone', 499, 'invalid_request_error', 'client_closed_request'],
  ];
  for (const [kind, status, type, code] of table) {
    const api = speechApiError(new SpeechError(kind, 'm'));
    assert.deepEqual([api.status, api.type, api.code], [status, type, code], kind);
  }
});

test('param and Retry-After pass through; fixed messages replace internal ones', () => {
  const busy = toApiError(new SpeechError('busy', 'Queue full.', { retryAfterS: 3 }), 0);
  assert.equal(busy.message, 'Queue full.');
  assert.equal(busy.retryAfter, 3);
  const bad = toApiError(new SpeechError('bad_request', 'unknown voice', { param: 'voice' }), 0);
  assert.equal(bad.param, 'voice');
  assert.equal(toApiError(new SpeechError('encoder_failed', 'ffmpeg exited 1'), 0).message, 'Audio encoding failed.');
  assert.equal(toApiError(new SpeechError('cut_short', 'x'), 0).message, 'Speech synthesis ended early.');
  assert.equal(toApiError(new SpeechError('engine_refused', 'x'), 0).message, 'The engine refused the request.');
  assert.equal(toApiError(new ClientGoneError(), 0).status, 499);
});
