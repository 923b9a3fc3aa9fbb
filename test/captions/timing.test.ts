// Word timestamps without a model: the time math (durations, the edge trim's cut, clamping),
// the request time line, the TIMING/WORDS frames, and the WebVTT/SRT writers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toTimestamps, wordTimes } from '../../gateway/captions/timing.js';
import { clock, cues, toSrt, toVtt, MAX_CUE_WORDS } from '../../gateway/captions/formats.js';
import { encodeTiming, encodeWords, FrameDecoder, FrameKind } from '../../protocol/engine-wire.js';

const timing = (durations: number[], cut = 0) => ({ cut, samplesPerUnit: 600, durations: Uint16Array.from(durations) });

test('wordTimes: a word starts after the durations before it (the leading pad included) and ends after its own', () => {
  // pad 10, tokens 2 3 | 4 | 5 6, pad 20: 5 tokens, audio (10+2+3+4+5+6+20) x 600 = 30000 samples.
  const words = [{ text: 'ab', start: 0, end: 2 }, { text: 'c', start: 2, end: 3 }, { text: 'de', start: 3, end: 5 }];
  const got = wordTimes(words, 5, timing([10, 2, 3, 4, 5, 6, 20]), 30000);
  assert.deepEqual(got, [
    { text: 'ab', start: 6000, end: 9000 },
    { text: 'c', start: 9000, end: 11400 },
    { text: 'de', start: 11400, end: 18000 },
  ]);
});

test('wordTimes: the edge trim moves every time earlier by the samples it cut, clamped to the audio sent', () => {
  const words = [{ text: 'a', start: 0, end: 1 }, { text: 'b', start: 1, end: 2 }];
  // The model made (5+1+2+9) x 600 = 10200 samples; the trim cut 2400 before and kept 4800.
  const got = wordTimes(words, 2, timing([5, 1, 2, 9], 2400), 4800);
  assert.deepEqual(got, [{ text: 'a', start: 600, end: 1200 }, { text: 'b', start: 1200, end: 2400 }]);
  // A cut past a word's start clamps it to 0; a word past the kept audio ends at its end.
  const clamped = wordTimes(words, 2, timing([5, 1, 2, 9], 3300), 900);
  assert.deepEqual(clamped, [{ text: 'a', start: 0, end: 300 }, { text: 'b', start: 300, end: 900 }]);
});

test('wordTimes: timing that does not fit the chunk is refused, bad ranges skipped', () => {
  assert.equal(wordTimes([{ text: 'a', start: 0, end: 1 }], 3, timing([1, 1, 1]), 1800), null, '3 tokens need 5 durations');
  const got = wordTimes([{ text: 'x', start: 1, end: 1 }, { text: 'y', start: 0, end: 9 }, { text: 'z', start: 0, end: 1 }], 1, timing([1, 1, 1]), 1800);
  assert.deepEqual(got, [{ text: 'z', start: 600, end: 1200 }]);
});

test('toTimestamps: chunk-relative samples onto the request time line, in seconds', () => {
  const got = toTimestamps([{ text: 'hi', start: 1200, end: 6000 }], 24000, 24000);
  assert.deepEqual(got, [{ word: 'hi', start_time: 1.05, end_time: 1.25 }]);
});

test('TIMING and WORDS frames round-trip', () => {
  const t = timing([3, 65535, 1, 0], 1234);
  const w = [{ text: '“Hello,”', start: 0, end: 7 }, { text: 'naïve', start: 8, end: 13 }];
  const frames = new FrameDecoder().push(Buffer.concat([encodeWords(4, w), encodeTiming(4, t)]));
  assert.equal(frames.length, 2);
  assert.deepEqual(frames[0], { kind: FrameKind.WORDS, chunk: 4, words: w });
  assert.equal(frames[1]!.kind, FrameKind.TIMING);
  const got = frames[1] as Extract<typeof frames[number], { kind: typeof FrameKind.TIMING }>;
  assert.equal(got.chunk, 4);
  assert.deepEqual({ ...got.timing, durations: [...got.timing.durations] }, { cut: 1234, samplesPerUnit: 600, durations: [3, 65535, 1, 0] });
  // A TIMING frame whose count disagrees with its length is a protocol error.
  const bad = encodeTiming(0, t);
  bad.writeUInt32LE(9, 5 + 12);
  assert.throws(() => new FrameDecoder().push(bad), /timing frame length mismatch/);
});

const ts = (word: string, s: number, e: number) => ({ word, start_time: s, end_time: e });

test('clock: hours, minutes, seconds, milliseconds', () => {
  assert.equal(clock(0, '.'), '00:00:00.000');
  assert.equal(clock(3723.4567, ','), '01:02:03,457');
});

test('cues: a cue ends after a sentence end, before a long pause, and at the word limit', () => {
  const words = [ts('Hi', 0, 0.2), ts('there.', 0.25, 0.6), ts('Next', 0.7, 0.9), ts('one', 0.95, 1.1), ts('after', 2.0, 2.3), ts('pause', 2.35, 2.7)];
  assert.deepEqual(cues(words).map((c) => c.text), ['Hi there.', 'Next one', 'after pause']);
  const many = Array.from({ length: MAX_CUE_WORDS + 3 }, (_, i) => ts(`w${i}`, i * 0.1, i * 0.1 + 0.05));
  assert.deepEqual(cues(many).map((c) => c.text.split(' ').length), [MAX_CUE_WORDS, 3]);
});

test('toVtt and toSrt: numbered/timed cues, text escaped for VTT', () => {
  const words = [ts('Tom', 0.05, 0.3), ts('&', 0.35, 0.5), ts('<Jerry>.', 0.55, 1.2), ts('Bye.', 1.3, 1.7)];
  assert.equal(toVtt(words), 'WEBVTT\n\n00:00:00.050 --> 00:00:01.200\nTom &amp; &lt;Jerry>.\n\n00:00:01.300 --> 00:00:01.700\nBye.\n');
  assert.equal(toSrt(words), '1\n00:00:00,050 --> 00:00:01,200\nTom & <Jerry>.\n\n2\n00:00:01,300 --> 00:00:01,700\nBye.\n');
  assert.equal(toVtt([]), 'WEBVTT\n');
});
