// bench:gateway — what the gateway adds before the first byte, per format.
//
// One run prints:
//  (a) time to first byte per format (streaming) through a gateway with one engine, against
//      that engine's own first-chunk time for the same text, asked directly (target ≤ 1.2×);
//  (b) encoder CPU seconds per audio second per format (bench/encoders.ts's measurement);
//  (c) time to first byte with the warm encoder pool against a gateway started with
//      ENCODER_POOL=0.
// Both gateways run at once (ENGINES=1 each) and are asked in turn, one request at a time;
// every request is cut after its first byte and the next waits until the engine is idle, so
// no request queues behind another's leftover chunk.
//
//   npm run bench:gateway -- [--quick] [--reps N] [--threads T] [--voice V] [--seconds S] [--json FILE]
import { createEncoderFactory } from '../audio/encode/index.js';
import { WAV_HEADER_BYTES } from '../audio/encode/wav-header.js';
import { measureEncoder } from './encoders.js';
import { Flags, finish, fmt, median, ms, runMain, sleep, table, warnIfBusy } from './lib/common.js';
import { engineSynthesize, gatewaySpeech, getJson } from './lib/http.js';
import { startGateway, type GatewayProcess } from '../harness/gateway-process.js';
import { benchGateway, waitEngineIdle } from './lib/procs.js';
import { PARAGRAPH, wordCount } from './texts.js';
import { AUDIO_FORMATS, type AudioFormat } from '../audio/encode/types.js';

const FFMPEG_FORMATS: AudioFormat[] = ['mp3', 'opus', 'aac', 'flac'];

/** Idle warm encoders per format, from the gateway's /metrics. */
async function poolIdle(origin: string): Promise<Record<string, number>> {
  const text = (await getJson<string>(`${origin}/metrics`)).body;
  const out: Record<string, number> = {};
  for (const m of String(text).matchAll(/^kokoro_encoder_pool_idle\{format="(\w+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/** Waits until the pool has refilled to `want` idle encoders for `format` (or 10 s pass). */
async function waitPool(origin: string, format: string, want: number): Promise<void> {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    if (((await poolIdle(origin))[format] ?? 0) >= want) return;
    await sleep(20);
  }
}

async function main(): Promise<void> {
  const flags = new Flags();
  const quick = flags.has('--quick');
  const reps = Math.round(flags.num('--reps', quick ? 2 : 5));
  const threads = Math.round(flags.num('--threads', 2));
  const encSeconds = flags.num('--seconds', quick ? 5 : 20);
  const voice = flags.str('--voice') ?? 'af_heart';
  const text = PARAGRAPH;

  console.log(`bench:gateway — first byte per format through the gateway (ENGINES=1, ENGINE_THREADS=${threads}), ` +
    `${wordCount(text)}-word paragraph, median of ${reps}`);
  warnIfBusy();

  let pooled: GatewayProcess | undefined;
  let cold: GatewayProcess | undefined;
  const engineFirst: number[] = [];
  const gwFirst: Record<string, number[]> = Object.fromEntries(AUDIO_FORMATS.map((f) => [f, []]));
  const wavHeaderMs: number[] = [];
  const coldFirst: Record<string, number[]> = Object.fromEntries(FFMPEG_FORMATS.map((f) => [f, []]));
  let poolFull: Record<string, number> = {};
  try {
    [pooled, cold] = await Promise.all([
      startGateway(benchGateway({ engines: 1, threads })),
      startGateway(benchGateway({ engines: 1, threads, env: { ENCODER_POOL: '0' } })),
    ]);
    const engine = pooled.enginesAtReady[0]!.url!;
    const coldEngine = cold.enginesAtReady[0]!.url!;
    console.log(`gateway (warm pool) pid ${pooled.pid} ${pooled.url}, engine pid ${pooled.enginesAtReady[0]!.pid} ${engine} runtime ${pooled.enginesAtReady[0]!.runtime}`);
    console.log(`gateway (ENCODER_POOL=0) pid ${cold.pid} ${cold.url}, engine pid ${cold.enginesAtReady[0]!.pid} ${coldEngine}`);

    const speech = (gw: GatewayProcess, format: AudioFormat) => gatewaySpeech(gw.url,
      { model: 'kokoro', input: text, voice, response_format: format, stream: true },
      { stopAfterFirstByte: true, headerBytes: format === 'wav' ? WAV_HEADER_BYTES : 0 });

    // Warm-up: one request per format on each (first use of each encoder, connections).
    for (const f of AUDIO_FORMATS) {
      await speech(pooled, f);
      await waitEngineIdle(engine);
      if (FFMPEG_FORMATS.includes(f)) {
        await speech(cold, f);
        await waitEngineIdle(coldEngine);
      }
    }
    await sleep(1000);
    poolFull = await poolIdle(pooled.url);
    console.log(`warm pool idle encoders per format: ${JSON.stringify(poolFull)}`);

    for (let r = 0; r < reps; r++) {
      const e = await engineSynthesize(engine, { text, voice, speed: 1 }, { stopAfterFirstAudio: true });
      engineFirst.push(e.firstAudioMs);
      await waitEngineIdle(engine);
      for (const f of AUDIO_FORMATS) {
        if (poolFull[f]) await waitPool(pooled.url, f, poolFull[f]!);
        const g = await speech(pooled, f);
        gwFirst[f]!.push(g.firstAudioByteMs);
        if (f === 'wav') wavHeaderMs.push(g.firstByteMs);
        await waitEngineIdle(engine);
      }
      for (const f of FFMPEG_FORMATS) {
        coldFirst[f]!.push((await speech(cold, f)).firstByteMs);
        await waitEngineIdle(coldEngine);
      }
      console.log(`  rep ${r + 1}/${reps}: engine first chunk ${ms(e.firstAudioMs)} ms; gateway ` +
        AUDIO_FORMATS.map((f) => `${f} ${ms(gwFirst[f]!.at(-1))}`).join(', '));
    }
  } finally {
    await Promise.all([pooled?.stop(15_000), cold?.stop(15_000)]);
  }

  // (b) encoder CPU per audio second, with the gateway's engines gone (nothing else of ours running).
  console.log(`\nencoder CPU: ${encSeconds} s of audio per format, streaming, 2 trials (bench/encoders.ts measureEncoder)`);
  const factory = createEncoderFactory({ poolSize: 0 });
  const cpu: Record<string, number> = {};
  try {
    await measureEncoder(factory, 'mp3', true, 1); // first use probes ffmpeg once
    for (const f of AUDIO_FORMATS) {
      const trials = [];
      for (let i = 0; i < 2; i++) trials.push((await measureEncoder(factory, f, true, encSeconds)).cpuPerAudioSecond);
      cpu[f] = median(trials);
    }
  } finally {
    await factory.close();
  }

  const eMed = median(engineFirst);
  const rowsA = AUDIO_FORMATS.map((f) => {
    const g = median(gwFirst[f]!);
    return { format: f, gatewayFirstByteMs: g, engineFirstChunkMs: eMed, ratio: g / eMed, addedMs: g - eMed };
  });
  table(`(a) time to first byte, streaming, median of ${reps} (engine = the same engine asked directly, first audio frame whole)`,
    ['format', 'gateway ms', 'engine ms', 'added ms', 'ratio', 'target ≤ 1.2x'],
    rowsA.map((r) => [r.format, ms(r.gatewayFirstByteMs), ms(r.engineFirstChunkMs), ms(r.addedMs), fmt(r.ratio), r.ratio <= 1.2 ? 'yes' : 'NO']),
    `wav: first byte past the ${WAV_HEADER_BYTES}-byte header; the header itself arrives after ${ms(median(wavHeaderMs))} ms.`);
  table('(b) encoder CPU seconds per audio second (ffmpeg child CPU from /proc; wav/pcm in-process)',
    ['format', 'CPU s / audio s', 'audio s per CPU s'],
    AUDIO_FORMATS.map((f) => [f, fmt(cpu[f], 4), fmt(1 / cpu[f]!, 0)]));
  const rowsC = FFMPEG_FORMATS.map((f) => {
    const w = median(gwFirst[f]!);
    const c = median(coldFirst[f]!);
    return { format: f, warmPoolMs: w, noPoolMs: c, savedMs: c - w, ratio: w / c };
  });
  table(`(c) time to first byte: warm pool vs ENCODER_POOL=0, median of ${reps}`,
    ['format', 'warm pool ms', 'no pool ms', 'saved ms', 'warm / none'],
    rowsC.map((r) => [r.format, ms(r.warmPoolMs), ms(r.noPoolMs), ms(r.savedMs), fmt(r.ratio)]),
    'two engines of the same size; the difference also holds the two engines\' first-chunk noise.');

  finish('gateway', flags, {
    quick, reps, threads, voice, words: wordCount(text), encoderAudioSeconds: encSeconds,
    engineFirstChunkMs: engineFirst, firstByte: rowsA, wavHeaderMs, encoderCpuPerAudioSecond: cpu, warmPool: rowsC,
    samples: { gateway: gwFirst, noPool: coldFirst },
  });
}

runMain(main);
