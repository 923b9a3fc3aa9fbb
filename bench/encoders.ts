// Encoder benchmark: CPU seconds per audio second per format (ffmpeg child CPU read from
// /proc/<pid>/stat while it runs; in-process CPU for wav/pcm), and time to first output byte
// with and without the warm pool. Run: node dist/bench/encoders.js [--seconds S] [--trials N]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { createEncoderFactory, resolveFfmpeg, type PooledEncoderFactory } from '../audio/encode/index.js';
import { AUDIO_FORMATS, type AudioFormat } from '../audio/encode/types.js';

const RATE = 24000;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

export interface EncoderMeasurement {
  format: AudioFormat;
  streaming: boolean;
  audioSeconds: number;
  /** Encoder CPU seconds per second of audio. */
  cpuPerAudioSecond: number;
  /** From create() to the first output byte, with the first chunk written at once. */
  firstByteMs: number;
  totalMs: number;
  bytes: number;
}

/** utime + stime of a process, in seconds; undefined once it is gone. */
function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // fields 14 and 15 of stat
  } catch {
    return undefined;
  }
}

function tone(n: number): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(9000 * Math.sin(2 * Math.PI * (180 + 40 * Math.sin(i / 3000)) * (i / RATE)));
  return out;
}

/** Encodes `audioSeconds` of audio in 1 s chunks with one encoder from `factory`. */
export async function measureEncoder(
  factory: PooledEncoderFactory, format: AudioFormat, streaming: boolean, audioSeconds: number,
): Promise<EncoderMeasurement> {
  const samples = tone(Math.round(audioSeconds * RATE));
  const selfCpu0 = process.cpuUsage();
  const t0 = performance.now();
  const encoder = await factory.create(format, { streaming });
  let firstByteMs = NaN;
  let bytes = 0;
  let childCpu = 0;
  const poll = encoder.pid === undefined ? undefined : setInterval(() => {
    childCpu = processCpuSeconds(encoder.pid!) ?? childCpu;
  }, 5);
  const done = new Promise<void>((resolve, reject) => {
    encoder.output.on('data', (c: Buffer) => {
      if (bytes === 0) firstByteMs = performance.now() - t0;
      bytes += c.length;
    });
    encoder.output.once('end', resolve);
    encoder.output.once('error', reject);
  });
  try {
    for (let pos = 0; pos < samples.length; pos += RATE) await encoder.write(samples.subarray(pos, pos + RATE));
    if (encoder.pid !== undefined) childCpu = processCpuSeconds(encoder.pid) ?? childCpu;
    encoder.end();
    await done;
  } finally {
    clearInterval(poll);
    encoder.destroy();
  }
  const self = process.cpuUsage(selfCpu0);
  const cpu = encoder.pid === undefined ? (self.user + self.system) / 1e6 : childCpu;
  return { format, streaming, audioSeconds, cpuPerAudioSecond: cpu / audioSeconds, firstByteMs, totalMs: performance.now() - t0, bytes };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const waitWarm = async (f: PooledEncoderFactory, key: string) => {
  while ((f.poolStats()[key]?.idle ?? 0) < 1) await new Promise((r) => setTimeout(r, 10));
};

export async function runEncoderBench(audioSeconds = 30, trials = 5): Promise<void> {
  const ff = resolveFfmpeg();
  console.log(`ffmpeg ${ff.version} (${ff.source}: ${ff.path}); load average ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs`);
  const cold = createEncoderFactory({ poolSize: 0 });
  await measureEncoder(cold, 'mp3', true, 1); // first use probes ffmpeg's capabilities once

  console.log(`\nencoder CPU per audio second (${audioSeconds} s of audio, streaming)`);
  for (const format of AUDIO_FORMATS) {
    const m = await measureEncoder(cold, format, true, audioSeconds);
    console.log(`  ${format.padEnd(5)} ${m.cpuPerAudioSecond.toFixed(4)} s/s  (${(m.bytes / 1024).toFixed(0)} KiB, ${m.totalMs.toFixed(0)} ms wall)`);
  }

  console.log(`\ntime to first byte, median of ${trials}, 1 s chunks (ms): without pool / with warm pool`);
  const warm = createEncoderFactory({ poolSize: 1 });
  for (const format of ['mp3', 'opus', 'aac', 'flac'] as const) {
    const coldTimes: number[] = [];
    const warmTimes: number[] = [];
    for (let i = 0; i < trials; i++) {
      coldTimes.push((await measureEncoder(cold, format, true, 2)).firstByteMs);
      await waitWarm(warm, format);
      warmTimes.push((await measureEncoder(warm, format, true, 2)).firstByteMs);
    }
    const c = median(coldTimes);
    const w = median(warmTimes);
    console.log(`  ${format.padEnd(5)} ${c.toFixed(1).padStart(7)} / ${w.toFixed(1).padStart(7)}   (${(c / w).toFixed(1)}x)`);
  }
  await Promise.all([cold.close(), warm.close()]);
}

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runEncoderBench(arg('--seconds', 30), arg('--trials', 5));
}
