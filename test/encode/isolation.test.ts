// Twelve encoders at once, mixed formats, each fed its own tone: each must return its own
// audio (the Kokoro-FastAPI failure was encoders sharing state across requests).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createEncoderFactory, leadingSamples } from '../../audio/encode/index.js';
import { decodeToPcm } from '../../harness/audio/index.js';
import { correlation, encode, sineSweep } from './helpers.js';
import { type AudioFormat } from '../../audio/encode/types.js';

const factory = createEncoderFactory({ poolSize: 0 });
after(() => factory.close());

test('12 concurrent encoders each return their own audio', { timeout: 60_000 }, async () => {
  const formats: AudioFormat[] = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'];
  const n = 24000 + 517;
  const jobs = Array.from({ length: 12 }, (_, i) => ({
    format: formats[i % formats.length],
    streaming: i < 6,
    // Distinct sweeps: no two jobs share a frequency at any instant.
    signal: sineSweep(n + 97 * i, 200 + 230 * i, 260 + 230 * i),
  }));
  const decoded = await Promise.all(jobs.map(async (job) => {
    const encoder = await factory.create(job.format, { streaming: job.streaming });
    const bytes = await encode(encoder, job.signal);
    const pcm = await decodeToPcm(bytes, job.format);
    return pcm.subarray(leadingSamples(job.format, job.streaming));
  }));
  decoded.forEach((pcm, i) => {
    const scores = jobs.map((other) => correlation(pcm, other.signal));
    const best = scores.indexOf(Math.max(...scores));
    assert.equal(best, i, `job ${i} (${jobs[i].format}) sounds like job ${best}`);
    assert.ok(scores[i] > 0.9, `job ${i} (${jobs[i].format}) correlation ${scores[i].toFixed(3)}`);
  });
});
