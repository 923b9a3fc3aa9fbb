// bench:scale — aggregate throughput per engine layout, and the gateway's own cost.
//
// 1) Gateway overhead (ENGINES=1, ENGINE_THREADS=2): the same engine asked directly (frame
//    protocol) and through the gateway (pcm): added milliseconds to first byte, p50/p99 over
//    paired requests (target p50 < 1 ms), and throughput with 4 concurrent requests over the
//    paragraph set (ratio gateway / direct, target ≥ 0.97).
// 2) Aggregate audio seconds per second for 1×2, 2×1 and 2×2 (engines × threads), with 4
//    concurrent mp3 requests and with 1, over the same fixed paragraphs.
// Fixed work per measurement (the same requests for every layout), sized to ~30-60 s each on
// a quiet 2-core machine.
//
//   npm run bench:scale -- [--quick] [--sentences] [--overhead-only] [--voice V] [--json FILE]
// --sentences: each text is only the first sentence of its paragraph (a smoke run of every
// code path in a fraction of the time; its figures are not the benchmark's).
import { Flags, finish, fmt, median, mib, ms, percentile, runMain, sum, table, warnIfBusy } from './lib/common.js';
import { engineRaw, engineSynthesize, gatewaySpeech } from './lib/http.js';
import { startReplayEngine } from './lib/replay-engine.js';
import { startGateway, type GatewayProcess } from '../harness/gateway-process.js';
import { benchGateway, enginePeakRss, waitEngineIdle } from './lib/procs.js';
import { PARAGRAPHS, SHORT } from './texts.js';
import { SAMPLE_RATE } from '../protocol/constants.js';

const FASTKOKORO_REFERENCE = 4.6; // audio s per s on this 2-core machine, issue 6 (not measured here)

/** Runs n jobs with `concurrency` workers pulling the next index; returns the wall time. */
async function closedLoop<T>(n: number, concurrency: number, job: (i: number) => Promise<T>): Promise<{ wallMs: number; results: T[] }> {
  const results: T[] = new Array(n);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      results[i] = await job(i);
    }
  }));
  return { wallMs: performance.now() - t0, results };
}

interface LayoutRow {
  engines: number;
  threads: number;
  concurrency: number;
  requests: number;
  audioSeconds: number;
  wallSeconds: number;
  audioPerSecond: number;
  firstByteP50Ms: number;
  firstByteMaxMs: number;
  enginePeakRssBytes: number[];
}

async function main(): Promise<void> {
  const flags = new Flags();
  const quick = flags.has('--quick');
  const voice = flags.str('--voice') ?? 'af_heart';
  const pairs = quick ? 6 : 30;
  const overheadRounds = quick ? 1 : 2;
  const layouts = [
    { engines: 1, threads: 2 },
    { engines: 2, threads: 1 },
    { engines: 2, threads: 2 },
  ];
  const overheadOnly = flags.has('--overhead-only');
  if (overheadOnly) layouts.splice(1);
  const loads = overheadOnly ? [] : [
    { concurrency: 4, requests: quick ? 4 : 8 },
    { concurrency: 1, requests: quick ? 1 : 3 },
  ];
  const paragraphs = flags.has('--sentences') ? PARAGRAPHS.map((p) => p.slice(0, p.indexOf('. ') + 1)) : PARAGRAPHS;
  const texts = quick ? paragraphs.slice(0, 4) : paragraphs;

  console.log('bench:scale — aggregate audio seconds per second per engine layout, and gateway overhead');
  warnIfBusy();

  const samplesOf = new Map<string, number>(); // text -> samples, from the engine's END frames
  const warnings: string[] = [];
  const overhead = { pairs: 0, addedMs: [] as number[], directFirstMs: [] as number[], gatewayFirstMs: [] as number[],
    direct: { audioSeconds: 0, wallSeconds: 0 }, gateway: { audioSeconds: 0, wallSeconds: 0 } };
  const rows: LayoutRow[] = [];
  const replay = { pairs: quick ? 20 : 200, addedMs: [] as number[], directFirstMs: [] as number[], gatewayFirstMs: [] as number[] };

  for (const [li, layout] of layouts.entries()) {
    console.log(`\n== ${layout.engines} engine(s) × ${layout.threads} thread(s) ==`);
    let gw: GatewayProcess | undefined;
    try {
      gw = await startGateway(benchGateway({ engines: layout.engines, threads: layout.threads }));
      console.log(`gateway pid ${gw.pid} ${gw.url}; engines ${gw.enginesAtReady.map((e) => `${e.id} pid ${e.pid} ${e.runtime}`).join(', ')}`);
      const g = gw;
      const speech = (text: string, format: string, stopAfterFirstByte = false) => gatewaySpeech(g.url,
        { model: 'kokoro', input: text, voice, response_format: format, stream: true }, { stopAfterFirstByte });

      // Warm-up: one request through each engine.
      await closedLoop(layout.engines, layout.engines, () => speech(SHORT, 'mp3'));

      if (li === 0) {
        const engine = g.enginesAtReady[0]!.url!;
        // Added ms to first byte: paired, order alternating, each request cut at its first
        // audio and the next started once the engine is idle.
        console.log(`overhead: ${pairs} paired first-byte requests (pcm, short sentence)`);
        for (let i = 0; i < pairs; i++) {
          let d = NaN;
          let w = NaN;
          for (const side of i % 2 ? ['gateway', 'direct'] : ['direct', 'gateway']) {
            if (side === 'direct') d = (await engineSynthesize(engine, { text: SHORT, voice, speed: 1 }, { stopAfterFirstAudio: true })).firstAudioMs;
            else w = (await speech(SHORT, 'pcm', true)).firstByteMs;
            await waitEngineIdle(engine);
          }
          overhead.directFirstMs.push(d);
          overhead.gatewayFirstMs.push(w);
          overhead.addedMs.push(w - d);
        }
        overhead.pairs = pairs;
        // Throughput, 4 concurrent, the paragraph set, direct vs gateway (pcm), alternating.
        for (let r = 0; r < overheadRounds; r++) {
          for (const side of r % 2 ? ['gateway', 'direct'] as const : ['direct', 'gateway'] as const) {
            const run = await closedLoop(texts.length, 4, async (i) => {
              if (side === 'direct') {
                const e = await engineSynthesize(engine, { text: texts[i]!, voice, speed: 1 });
                samplesOf.set(texts[i]!, e.samples);
                return e.samples;
              }
              return (await speech(texts[i]!, 'pcm')).bytes / 2;
            });
            const audio = sum(run.results) / SAMPLE_RATE;
            overhead[side].audioSeconds += audio;
            overhead[side].wallSeconds += run.wallMs / 1000;
            console.log(`  throughput round ${r + 1} ${side}: ${fmt(audio, 1)} audio s in ${fmt(run.wallMs / 1000, 1)} s = ${fmt(audio / (run.wallMs / 1000))} audio s/s`);
            if (side === 'gateway') {
              for (const [i, s] of run.results.entries()) {
                const want = samplesOf.get(texts[i]!);
                if (want !== undefined && want !== s) warnings.push(`gateway pcm for paragraph ${i} had ${s} samples, the engine sent ${want}`);
              }
            }
          }
        }
      }
      if (li === 0) {
        // The gateway alone: a replay engine (recorded frames, no inference) behind a gateway
        // with ENGINES=0 ENGINE_URLS=<replay>, against the replay engine asked directly.
        const frames = await engineRaw(g.enginesAtReady[0]!.url!, { text: SHORT, voice, speed: 1 });
        const stub = await startReplayEngine(frames);
        let rgw: GatewayProcess | undefined;
        try {
          rgw = await startGateway(benchGateway({ engines: 0, threads: 1, expectEngines: 1, env: { ENGINES: '0', ENGINE_URLS: stub.origin } }));
          const body = { model: 'kokoro', input: SHORT, voice, response_format: 'pcm', stream: true };
          // Warm-up: JIT and connections (with 10 requests the first pairs were still ~15 ms slower).
          for (let i = 0; i < 60; i++) await gatewaySpeech(rgw.url, body);
          console.log(`overhead vs a replay engine: ${replay.pairs} paired requests (pcm, recorded ${frames.length}-byte frame stream)`);
          for (let i = 0; i < replay.pairs; i++) {
            let d = NaN;
            let w = NaN;
            for (const side of i % 2 ? ['gateway', 'direct'] : ['direct', 'gateway']) {
              if (side === 'direct') d = (await engineSynthesize(stub.origin, { text: SHORT, voice, speed: 1 })).firstAudioMs;
              else w = (await gatewaySpeech(rgw.url, body)).firstByteMs;
            }
            replay.directFirstMs.push(d);
            replay.gatewayFirstMs.push(w);
            replay.addedMs.push(w - d);
          }
        } finally {
          await rgw?.stop(15_000);
          await stub.close();
        }
      }
      // Every text's duration is known before mp3 is measured (mp3 bytes are not samples).
      for (const t of texts) {
        if (!samplesOf.has(t)) samplesOf.set(t, (await speech(t, 'pcm')).bytes / 2);
      }

      for (const load of loads) {
        const run = await closedLoop(load.requests, load.concurrency, async (i) => {
          const text = texts[i % texts.length]!;
          const res = await speech(text, 'mp3');
          return { firstByteMs: res.firstByteMs, audioSeconds: samplesOf.get(text)! / SAMPLE_RATE };
        });
        const audio = sum(run.results.map((x) => x.audioSeconds));
        const fb = run.results.map((x) => x.firstByteMs);
        const row: LayoutRow = {
          ...layout, ...load, audioSeconds: audio, wallSeconds: run.wallMs / 1000, audioPerSecond: audio / (run.wallMs / 1000),
          firstByteP50Ms: median(fb), firstByteMaxMs: Math.max(...fb), enginePeakRssBytes: [],
        };
        rows.push(row);
        console.log(`  mp3 × ${load.concurrency} concurrent, ${load.requests} requests: ${fmt(audio, 1)} audio s in ${fmt(row.wallSeconds, 1)} s = ${fmt(row.audioPerSecond)} audio s/s`);
      }
      const rss = enginePeakRss(g).map((x) => x ?? NaN);
      for (const r of rows.filter((x) => x.engines === layout.engines && x.threads === layout.threads)) r.enginePeakRssBytes = rss;
    } finally {
      await gw?.stop(15_000);
    }
  }

  const oh = {
    pairs: overhead.pairs,
    addedP50Ms: percentile(overhead.addedMs, 50),
    addedP99Ms: percentile(overhead.addedMs, 99),
    directFirstP50Ms: median(overhead.directFirstMs),
    gatewayFirstP50Ms: median(overhead.gatewayFirstMs),
    directAudioPerSecond: overhead.direct.audioSeconds / overhead.direct.wallSeconds,
    gatewayAudioPerSecond: overhead.gateway.audioSeconds / overhead.gateway.wallSeconds,
    throughputRatio: NaN,
  };
  oh.throughputRatio = oh.gatewayAudioPerSecond / oh.directAudioPerSecond;
  const rp = {
    pairs: replay.addedMs.length,
    addedP50Ms: percentile(replay.addedMs, 50),
    addedP99Ms: percentile(replay.addedMs, 99),
    directFirstP50Ms: median(replay.directFirstMs),
    gatewayFirstP50Ms: median(replay.gatewayFirstMs),
  };
  table(`gateway overhead (pcm; real engine: 1 engine × 2 threads, first byte paired, throughput 4 concurrent over ${texts.length} paragraphs × ${overheadRounds} round(s))`,
    ['figure', 'value', 'target', 'met'],
    [
      [`replay engine: added ms to first byte, p50 (n=${rp.pairs})`, fmt(rp.addedP50Ms, 2), '< 1 ms', rp.addedP50Ms < 1 ? 'yes' : 'NO'],
      [`replay engine: added ms to first byte, p99 (n=${rp.pairs})`, fmt(rp.addedP99Ms, 2), '', ''],
      ['replay engine: first byte p50, direct / gateway ms', `${fmt(rp.directFirstP50Ms, 2)} / ${fmt(rp.gatewayFirstP50Ms, 2)}`, '', ''],
      [`real engine: added ms to first byte, p50 (n=${oh.pairs})`, fmt(oh.addedP50Ms, 2), '< 1 ms', oh.addedP50Ms < 1 ? 'yes' : 'NO'],
      [`real engine: added ms to first byte, p99 (n=${oh.pairs})`, fmt(oh.addedP99Ms, 2), '', ''],
      ['real engine: first byte p50, direct / gateway ms', `${ms(oh.directFirstP50Ms)} / ${ms(oh.gatewayFirstP50Ms)}`, '', ''],
      ['audio s/s: direct / gateway', `${fmt(oh.directAudioPerSecond)} / ${fmt(oh.gatewayAudioPerSecond)}`, '', ''],
      ['throughput ratio gateway / direct', fmt(oh.throughputRatio, 3), '≥ 0.97', oh.throughputRatio >= 0.97 ? 'yes' : 'NO'],
    ],
    'added ms = gateway first pcm byte − direct first audio frame complete, per pair. The replay engine (recorded frames, no\n' +
    'inference) isolates the gateway; with the real engine the first chunk\'s run-to-run noise is in every pair.');
  const base = rows.find((r) => r.engines === 1 && r.threads === 2 && r.concurrency === 4);
  table('aggregate throughput, mp3 (audio seconds per wall second)',
    ['layout', 'concurrent', 'requests', 'audio s', 'wall s', 'audio s/s', 'vs 1×2 @4', `vs ${FASTKOKORO_REFERENCE} ref`, 'first byte p50/max ms', 'engine peak RSS MiB'],
    rows.map((r) => [
      `${r.engines}×${r.threads}`, r.concurrency, r.requests, fmt(r.audioSeconds, 1), fmt(r.wallSeconds, 1), fmt(r.audioPerSecond),
      base ? fmt(r.audioPerSecond / base.audioPerSecond) : '—', fmt(r.audioPerSecond / FASTKOKORO_REFERENCE),
      `${ms(r.firstByteP50Ms)} / ${ms(r.firstByteMaxMs)}`, r.enginePeakRssBytes.map(mib).join(' + '),
    ]),
    `ref = fastkokoro's ${FASTKOKORO_REFERENCE} audio s/s on this machine as quoted in issue 6 (not measured in this run); aim ≥ 1.3x with 4 concurrent.`);
  for (const w of warnings) console.log(`WARNING: ${w}`);
  finish('scale', flags, { quick, sentencesOnly: flags.has('--sentences'), voice, texts: texts.length, overhead: oh, replayOverhead: rp, overheadSamples: { addedMs: overhead.addedMs, replayAddedMs: replay.addedMs }, layouts: rows, warnings });
}

runMain(main);
