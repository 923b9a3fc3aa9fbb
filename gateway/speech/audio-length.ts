// MAX_AUDIO_SECONDS: how long a request's audio may be, checked twice. Up front, from the text
// and the speed, before any work (a 413 `audio_too_long`); then while it is made, on the real
// samples, for text that reads longer than its length suggests (digits read one by one).
// The estimate assumes a slow reader: 12 characters of input per second of audio at speed 1
// (Kokoro reads English prose at about 15), so it over-estimates for ordinary text and a
// request it lets through rarely meets the second check.
import { SpeechError } from './errors.js';

/** Characters of input per second of audio at speed 1 that the estimate assumes. */
export const ESTIMATE_CHARS_PER_SECOND = 12;

/** Seconds of audio `chars` characters at `speed` are estimated to make. */
export function estimateAudioSeconds(chars: number, speed: number): number {
  return chars / ESTIMATE_CHARS_PER_SECOND / speed;
}

export function audioTooLong(seconds: number, maxSeconds: number, estimated: boolean): SpeechError {
  const what = estimated ? `would be about ${Math.round(seconds)} s of audio` : `became longer than ${maxSeconds} s of audio`;
  return new SpeechError('too_long', `This input ${what} at this speed; the limit is ${maxSeconds} s (MAX_AUDIO_SECONDS). Split the text or raise the speed.`, { param: 'input' });
}

/** Throws the 413 error when the estimate is over the limit. */
export function checkAudioEstimate(chars: number, speed: number, maxSeconds: number): void {
  const s = estimateAudioSeconds(chars, speed);
  if (s > maxSeconds) throw audioTooLong(s, maxSeconds, true);
}
