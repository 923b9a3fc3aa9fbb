// Every format, streaming and not: encode a known sweep fed in uneven writes, decode it, and
// check the duration (within one codec frame), that it is not silent, and that it is the same
// signal (correlation after the encoder's fixed leading delay).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createEncoderFactory, frameSamples, leadingSamples } from '../../audio/encode/index.js';
import { decodeToPcm } from '../../harness/audio/index.js';
import { correlation, encode, rms, sineSweep } from './helpers.js';
import { AUDIO_FORMATS } from '../../audio/encode/types.js';

const N = 2 * 24000 + 3211; // not a multiple of any codec frame
const input = sineSweep(N, 150, 3000);
const factory = createEncoderFactory({ poolSize: 0 });
after(() => factory.close());

describe('round trip', { timeout: 60_000 }, () => {
  for (const format of AUDIO_FORMATS) {
    for (const streaming of [true, false]) {
      test(`${format} ${streaming ? 'streaming' : 'whole file'}`, async () => {
        const encoder = await factory.create(format, { streaming });
        const bytes = await encode(encoder, input);
        const decoded = await decodeToPcm(bytes, format);

        const lead = leadingSamples(format, streaming);
        const extra = decoded.length - (N + lead);
        assert.ok(Math.abs(extra) <= frameSamples(format),
          `${format}: decoded ${decoded.length} samples for ${N} in (+${lead} lead), off by ${extra}`);
        const aligned = decoded.subarray(lead, lead + N);
        assert.ok(rms(aligned) > 0.5 * rms(input), `${format}: output is (nearly) silent`);
        const c = correlation(aligned, input);
        assert.ok(c > 0.9, `${format}: correlation with the input is ${c.toFixed(3)}`);
      });
    }
  }
});
