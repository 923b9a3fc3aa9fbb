import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endingClass, FADE_MS, KOKORO_PUNCTUATION, LEAD_MS, punctuationIds, SILENT_RMS, TRAIL_MS, trimEdges } from '../../engine/edges.js';
import { SAMPLE_RATE } from '../../protocol/constants.js';

const ms = (x: number) => Math.round((x * SAMPLE_RATE) / 1000);
const WORD = [50, 83, 156]; // no punctuation
const PERIOD = [...WORD, 4];
const COMMA = [...WORD, 3];

/** `lead` ms of faint noise, `speech` ms of a 220 Hz tone at `amp`, `trail` ms of faint noise. */
function signal(lead: number, speech: number, trail: number, amp = 0.3, noise = 0.0005): Float32Array {
  const x = new Float32Array(ms(lead) + ms(speech) + ms(trail));
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  for (let i = 0; i < x.length; i++) x[i] = noise * rand();
  for (let i = 0; i < ms(speech); i++) x[ms(lead) + i] = amp * Math.sin((2 * Math.PI * 220 * i) / SAMPLE_RATE);
  return x;
}

/** Index range of samples whose magnitude is over `t`. */
function speechSpan(x: Float32Array, t = 0.01): [number, number] {
  let a = 0;
  while (a < x.length && Math.abs(x[a]!) < t) a++;
  let b = x.length;
  while (b > a && Math.abs(x[b - 1]!) < t) b--;
  return [a, b];
}

test('ending class comes from the last token that is not a closing quote, bracket or space', () => {
  assert.equal(endingClass(PERIOD), 'sentence');
  assert.equal(endingClass([...WORD, 6]), 'sentence'); // ?
  assert.equal(endingClass([...WORD, 5]), 'sentence'); // !
  assert.equal(endingClass([...WORD, 10]), 'sentence'); // …
  assert.equal(endingClass([...WORD, 4, 15]), 'sentence'); // .”
  assert.equal(endingClass([...WORD, 4, 13, 16]), 'sentence'); // .) and a space
  assert.equal(endingClass(COMMA), 'clause');
  assert.equal(endingClass([...WORD, 1]), 'clause'); // ;
  assert.equal(endingClass([...WORD, 2]), 'clause'); // :
  assert.equal(endingClass([...WORD, 9]), 'clause'); // —
  assert.equal(endingClass(WORD), 'none');
  assert.equal(endingClass([4, ...WORD]), 'none'); // punctuation not at the end does not count
  assert.equal(endingClass([]), 'none');
  // The same sets built from a vocabulary.
  const vocab: Record<string, number> = { ';': 1, ':': 2, ',': 3, '.': 4, '!': 5, '?': 6, '—': 9, '…': 10, '"': 11, ')': 13, '”': 15, ' ': 16 };
  const ids = punctuationIds((s) => vocab[s]);
  assert.deepEqual([...ids.sentence].sort(), [...KOKORO_PUNCTUATION.sentence].sort());
  assert.deepEqual([...ids.clause].sort(), [...KOKORO_PUNCTUATION.clause].sort());
});

test('silence-speech-silence: leading cut to LEAD_MS, trailing to TRAIL_MS[ending], speech untouched', () => {
  const x = signal(320, 800, 500);
  for (const [tokens, cls] of [[PERIOD, 'sentence'], [COMMA, 'clause'], [WORD, 'none']] as const) {
    const y = trimEdges(x, tokens);
    const [a, b] = speechSpan(x);
    const [ya, yb] = speechSpan(y);
    // Speech starts within LEAD_MS (+ one 10 ms frame of rounding) of the start, ends TRAIL_MS[cls] before the end.
    assert.ok(ya <= ms(LEAD_MS + 10) && ya >= ms(LEAD_MS - 10), `${cls}: speech starts at ${ya}`);
    assert.ok(y.length - yb <= ms(TRAIL_MS[cls] + 10) && y.length - yb >= ms(TRAIL_MS[cls] - 10), `${cls}: ${y.length - yb} samples after the speech`);
    // Every speech sample is kept exactly.
    const offset = a - ya;
    assert.equal(yb - ya, b - a);
    for (let i = a; i < b; i++) assert.equal(y[i - offset], x[i]);
  }
  // The join pause of two chunks matches the class: sentence > clause > none.
  const pause = (tokens: number[]) => { const y = trimEdges(x, tokens); return y.length - speechSpan(y)[1] + speechSpan(y)[0]; };
  assert.ok(pause(PERIOD) > pause(COMMA) && pause(COMMA) > pause(WORD));
});

test('never cuts speech: a quiet tail above the silence threshold is kept, and so is all-speech audio', () => {
  // A soft fricative-like tail at 2x the threshold after the loud part: kept whole.
  const loud = signal(300, 500, 0);
  const tail = signal(0, 150, 400, SILENT_RMS * 2 * Math.SQRT2);
  const x = new Float32Array(loud.length + tail.length);
  x.set(loud);
  x.set(tail, loud.length);
  const y = trimEdges(x, WORD);
  const [, b] = speechSpan(x, SILENT_RMS);
  const [ya, yb] = speechSpan(y, SILENT_RMS);
  assert.equal(yb - ya, b - speechSpan(x, SILENT_RMS)[0], 'the quiet tail is all there');
  // No silence at either end: nothing to cut, the same array back.
  const all = signal(0, 1000, 0);
  assert.equal(trimEdges(all, PERIOD), all);
  // Pure silence (or noise under the threshold) is left alone.
  const quiet = signal(500, 0, 0);
  assert.equal(trimEdges(quiet, PERIOD), quiet);
  // Short edges already under the limits: not cut.
  const short = signal(20, 500, 15);
  assert.equal(trimEdges(short, WORD).length, short.length);
});

test('deterministic: same input, same samples; the input is not modified', () => {
  const x = signal(300, 700, 450);
  const copy = x.slice();
  const a = trimEdges(x, COMMA, 1);
  const b = trimEdges(x.slice(), COMMA, 1);
  assert.deepEqual(a, b);
  assert.deepEqual(x, copy);
  // Speed scales the limits (Kokoro's own pauses scale with 1/speed).
  const fast = trimEdges(x, PERIOD, 2);
  const slow = trimEdges(x, PERIOD, 0.8);
  assert.ok(fast.length < trimEdges(x, PERIOD, 1).length && slow.length > trimEdges(x, PERIOD, 1).length);
});

test('fades: a cut edge starts and ends at zero, ramping over FADE_MS of kept silence; no click', () => {
  // Louder "silence" (still under the threshold) so a hard cut would step.
  const x = signal(300, 600, 500, 0.3, 0.004);
  const y = trimEdges(x, PERIOD);
  assert.ok(y.length < x.length);
  assert.equal(Math.abs(y[0]!), 0);
  assert.equal(Math.abs(y[y.length - 1]!) < 1e-3, true);
  const n = ms(FADE_MS);
  for (let i = 1; i < n; i++) assert.ok(Math.abs(y[i]!) <= 0.004 * (i / n) + 1e-9, `fade-in sample ${i}`);
  for (let i = 1; i < n; i++) assert.ok(Math.abs(y[y.length - 1 - i]!) <= 0.004 * (i / n) + 1e-9, `fade-out sample ${i}`);
  // Two trimmed chunks joined: the step across the junction is tiny.
  assert.ok(Math.abs(y[0]! - y[y.length - 1]!) < 1e-3);
});
