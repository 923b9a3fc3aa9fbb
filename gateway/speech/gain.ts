// Kokoro-FastAPI's `volume_multiplier`: a gain on the s16 samples before the encoder, clipped
// to the s16 range. A pure step of its own so the pipeline stays a byte mover.

/** The samples times `gain`, rounded and clipped to s16; the same array when gain is 1. */
export function applyGain(samples: Int16Array, gain: number): Int16Array {
  if (gain === 1) return samples;
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round(samples[i]! * gain);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}
