// bench:heap — does the gateway's memory grow with the number of requests it has served?
//
// Runs our gateway (dist/gateway/main.js) against fake engines on loopback
// (harness/fake-engine.ts: the real protocol, no model), so thousands of requests take
// minutes and load only the gateway. A repeating, seeded mix: every format, chunked /
// whole-file / SSE, client aborts (mid-stream, before the first byte, whole-file), bad requests
// (400 at validation), texts the engine refuses (400 from the engine), chunks whose engine
// connection breaks (re-run elsewhere), an ffmpeg child SIGKILLed every 250 requests, and more
// clients than admission slots (queue waits). Prints heap used, RSS, external memory and handles
// every --every requests, and takes heap snapshots (the gateway runs with
// --heapsnapshot-signal=SIGUSR2; a snapshot forces a full GC) after the warm-up and after each
// round, then prints the groups of live objects (constructor, closure, array kind) that grew
// between snapshots, how many of each were allocated since and are still alive, and what holds
// them. Growth in the first round only is warm-up (code, caches, pools); a leak grows every
// round by about the same amount.
//
//   npm run bench:heap -- [--requests N per round (2000)] [--rounds R (2)] [--warmup W (400)]
//     [--concurrency C (12)] [--engines E (2)] [--every K (500)] [--cache-mb MB (0)] [--seed S]
//     [--samples-per-token N (600)] [--kill-encoder-every K (250)] [--keep DIR (keep the snapshots)]
//     [--no-snapshots (RSS and heap figures only)] [--gateway-env K=V,K=V] [--json FILE]
import { mkdtempSync, readdirSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startGateway, sumMetric, type GatewayProcess } from '../harness/gateway-process.js';
import { childrenOf, cmdline, rssBytes, signalChild } from '../harness/procs.js';
import { createRng, type Rng } from '../stress/prng.js';
import { Flags, finish, fmt, runMain, sleep, table, track, warnIfBusy } from './lib/common.js';
import {
  FAKE_MODEL_SHA256, INVALID_TEXT_MARKER, startFakeEngine, type FakeEngineServer,
} from '../harness/fake-engine.js';
import { diffSnapshots, readHeapSnapshot, retainersOf, type GroupDiff, type HeapSnapshot } from './lib/heap-snapshot.js';

const FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
const VOICES = ['af_heart', 'am_adam', 'bf_emma', 'nova', 'alloy', 'af_bella(2)+af_sky(1)', 'af_heart+am_michael'];
const WORDS = 'the quick brown fox jumps over a lazy dog while seven bright stars shine above quiet hills and rivers run to distant seas'.split(' ');

type Kind = 'stream' | 'whole' | 'sse' | 'abort-mid' | 'abort-early' | 'abort-whole' | 'bad-request' | 'engine-refused';
const MIX: [Kind, number][] = [
  ['stream', 30], ['whole', 22], ['sse', 10], ['abort-mid', 12], ['abort-early', 5], ['abort-whole', 5], ['bad-request', 10], ['engine-refused', 6],
];

/** A distinct text of 1-4 sentences (no two requests share one, so no cache can serve them). */
function textFor(rng: Rng, i: number): string {
  const sentences = rng.int(1, 5);
  const out: string[] = [];
  for (let s = 0; s < sentences; s++) {
    const words = Array.from({ length: rng.int(4, 14) }, () => rng.pick(WORDS));
    if (s === 0) words.push(`number ${i}`);
    out.push(`${words.join(' ')}.`);
  }
  return out.join(' ');
}

/** A body the gateway must refuse with 400 (a few different validation failures). */
function badBody(rng: Rng, i: number): string {
  switch (rng.int(0, 5)) {
    case 0: return JSON.stringify({ model: 'tts-1', input: `hello ${i}.`, voice: `nobody_${i % 50}` });
    case 1: return JSON.stringify({ model: 'tts-1', input: `hello ${i}.`, voice: 'af_heart', response_format: 'ogg' });
    case 2: return JSON.stringify({ model: 'tts-1', input: `hello ${i}.`, voice: 'af_heart', speed: 9 });
    case 3: return JSON.stringify({ model: 'tts-1', input: '   ', voice: 'af_heart' });
    default: return '{"model": "tts-1", "input": "broken json';
  }
}

interface Outcome {
  kind: Kind;
  status: number;
  aborted: boolean;
  /** The body ended early: the gateway cut the connection. */
  cut: boolean;
}

async function oneRequest(url: string, rng: Rng, i: number): Promise<Outcome> {
  const kind = rng.weighted(MIX);
  const format = rng.pick(FORMATS);
  const voice = rng.pick(VOICES);
  let text = textFor(rng, i);
  if (kind === 'engine-refused') text += ` ${INVALID_TEXT_MARKER}.`;
  const body = kind === 'bad-request' ? badBody(rng, i)
    : JSON.stringify({
      model: 'tts-1', input: text, voice, response_format: format,
      ...(kind === 'whole' || kind === 'abort-whole' ? { stream: false } : {}),
      ...(kind === 'sse' ? { stream_format: 'sse' } : {}),
      ...(rng.chance(0.2) ? { speed: 1.25 } : {}),
    });
  const ctl = new AbortController();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (rng.chance(0.3)) headers['x-request-id'] = `heap-${i}`;
  if (kind === 'abort-early') setTimeout(() => ctl.abort(), rng.int(0, 6));
  if (kind === 'abort-whole') setTimeout(() => ctl.abort(), rng.int(5, 40));
  let status: number | undefined;
  try {
    const res = await fetch(`${url}/v1/audio/speech`, { method: 'POST', body, headers, signal: ctl.signal });
    status = res.status;
    if (kind === 'abort-mid' && res.status === 200 && res.body) {
      const reader = res.body.getReader();
      await reader.read();
      ctl.abort();
      await reader.cancel().catch(() => {});
      return { kind, status: res.status, aborted: true, cut: false };
    }
    await res.arrayBuffer();
    return { kind, status: res.status, aborted: false, cut: false };
  } catch (err) {
    if (ctl.signal.aborted) return { kind, status: 0, aborted: true, cut: false };
    // The gateway cuts a response whose encoder died after bytes went out (a killed ffmpeg).
    if (status !== undefined) return { kind, status, aborted: false, cut: true };
    throw err;
  }
}

interface Sample {
  requests: number;
  atS: number;
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  handles: number;
}

const MB = 1048576;
const mb1 = (b: number) => Math.round((b / MB) * 10) / 10;

async function sample(gw: GatewayProcess, requests: number, t0: number): Promise<Sample> {
  const res = await fetch(`${gw.url}/metrics`);
  const text = await res.text();
  return {
    requests,
    atS: Math.round((performance.now() - t0) / 1000),
    rssMb: mb1(rssBytes(gw.pid) ?? 0),
    heapUsedMb: mb1(sumMetric(text, 'nodejs_heap_size_used_bytes')),
    heapTotalMb: mb1(sumMetric(text, 'nodejs_heap_size_total_bytes')),
    externalMb: mb1(sumMetric(text, 'nodejs_external_memory_bytes')),
    handles: sumMetric(text, 'nodejs_active_handles_total'),
  };
}

/** SIGUSR2 → the gateway writes a snapshot into `dir`; resolves with its path once it is complete. */
async function snapshot(gw: GatewayProcess, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(gw.pid, 'SIGUSR2');
  const until = Date.now() + 120_000;
  let file: string | undefined;
  while (!file) {
    if (Date.now() > until) throw new Error('no heap snapshot appeared within 120 s');
    await sleep(100);
    file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
  }
  // The gateway writes it synchronously on its main thread: once it answers HTTP again, it is done.
  for (;;) {
    if (Date.now() > until) throw new Error('the gateway did not answer after its heap snapshot');
    const ok = await fetch(`${gw.url}/health`, { signal: AbortSignal.timeout(5000) }).then((r) => r.ok, () => false);
    if (ok) break;
    await sleep(100);
  }
  return join(dir, file);
}

async function main(): Promise<void> {
  const flags = new Flags();
  const perRound = Math.round(flags.num('--requests', 2000));
  const rounds = Math.round(flags.num('--rounds', 2));
  const warmup = Math.round(flags.num('--warmup', 400));
  const concurrency = Math.round(flags.num('--concurrency', 12));
  const engineCount = Math.round(flags.num('--engines', 2));
  const every = Math.round(flags.num('--every', 500));
  const cacheMb = flags.str('--cache-mb') ?? '0';
  const seed = Math.round(flags.num('--seed', 7));
  const keep = flags.str('--keep');
  // RSS alone over a long run: a snapshot needs memory of its own, which RSS then keeps.
  const noSnapshots = flags.has('--no-snapshots');
  // 600: the tiny model's rate; Kokoro speaks ~1500-2500 samples per token (chunks of 100-500 KB).
  const samplesPerToken = Math.round(flags.num('--samples-per-token', 600));
  // As the stress suite's encoderKill: SIGKILL one of the gateway's ffmpeg children (busy or idle).
  const killEncoderEvery = Math.round(flags.num('--kill-encoder-every', 250));
  let encoderKills = 0;
  // More gateway environment, e.g. allocator settings (MALLOC_ARENA_MAX=2) to compare RSS.
  const extraEnv = Object.fromEntries((flags.str('--gateway-env') ?? '').split(',').filter(Boolean).map((kv) => {
    const at = kv.indexOf('=');
    if (at <= 0) throw new Error(`--gateway-env takes KEY=VALUE[,KEY=VALUE], got '${kv}'`);
    return [kv.slice(0, at), kv.slice(at + 1)];
  }));

  console.log(`bench:heap — ${warmup} warm-up requests, then ${rounds} round(s) of ${perRound}, ${concurrency} clients, ` +
    `${engineCount} fake engines (${samplesPerToken} samples per token), CACHE_MB=${cacheMb}, seed ${seed}` +
    (Object.keys(extraEnv).length ? `, gateway env ${JSON.stringify(extraEnv)}` : ''));
  warnIfBusy();

  const dir = keep ? resolve(keep) : mkdtempSync(join(tmpdir(), 'bench-heap-'));
  mkdirSync(dir, { recursive: true });
  const engines: FakeEngineServer[] = [];
  let gw: GatewayProcess | undefined;
  const samples: Sample[] = [];
  const snaps: HeapSnapshot[] = [];
  const outcomes = new Map<string, number>();
  /** At the end of the warm-up and of each round, settled, before any snapshot. */
  const roundEnds: Sample[] = [];
  try {
    for (let k = 0; k < engineCount; k++) engines.push(await startFakeEngine({
      chunkMs: 4, plan: 'sentences', samplesPerToken, faultEvery: 97,
      invalidTextMarker: INVALID_TEXT_MARKER, modelSha256: FAKE_MODEL_SHA256,
    }));
    gw = await startGateway({
      engines: 0,
      logLevel: 'info',
      logFile: join(dir, 'gateway.log'),
      env: {
        ENGINES: '0',
        ENGINE_URLS: engines.map((e) => e.url).join(','),
        CACHE_MB: cacheMb,
        // The stress suite's admission limits: more clients than slots, so some wait in the queue.
        MAX_CONCURRENT: '8',
        QUEUE_SIZE: '4',
        QUEUE_WAIT_MS: '20000',
        NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}`,
        ...extraEnv,
      },
      readyWhen: (rows) => rows.length === engineCount && rows.every((e) => e.state === 'ready'),
      readyTimeoutMs: 120_000,
      onSpawn: track,
    });
    console.log(`gateway pid ${gw.pid} ${gw.url}; snapshots and log in ${dir}`);
    const t0 = performance.now();
    let next = 0;
    let done = 0;
    const runRequests = async (n: number) => {
      const end = next + n;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < end) {
          const i = next++;
          // Each request's choices from its own index: the same mix whatever the interleaving.
          const o = await oneRequest(gw!.url, createRng(seed * 1_000_003 + i), i);
          const key = `${o.kind} ${o.aborted ? 'aborted' : o.status}${o.cut ? ' cut' : ''}`;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
          done++;
          if (done % killEncoderEvery === 0) {
            const ffmpegs = childrenOf(gw!.pid).filter((c) => c.state !== 'Z' && /ffmpeg/.test(cmdline(c.pid)[0] ?? ''));
            const victim = ffmpegs[i % Math.max(1, ffmpegs.length)];
            if (victim && signalChild(victim.pid, gw!.pid, 'SIGKILL')) encoderKills++;
          }
          if (done % every === 0) {
            const s = await sample(gw!, done, t0);
            samples.push(s);
            console.log(`  ${String(s.requests).padStart(6)} requests  ${String(s.atS).padStart(4)} s  rss ${fmt(s.rssMb, 1)} MB  heap used ${fmt(s.heapUsedMb, 1)} MB ` +
              `(total ${fmt(s.heapTotalMb, 1)})  external ${fmt(s.externalMb, 1)} MB  handles ${s.handles}`);
          }
        }
      }));
    };
    const settleAndSnap = async (label: string) => {
      // Let aborted work, encoder pools and keep-alive sockets settle, as between requests.
      await sleep(3000);
      const s = await sample(gw!, done, t0);
      roundEnds.push(s);
      if (noSnapshots) {
        console.log(`after ${label}: ${done} requests, rss ${fmt(s.rssMb, 1)} MB, heap used ${fmt(s.heapUsedMb, 1)} MB, handles ${s.handles}`);
        return;
      }
      const file = await snapshot(gw!, dir);
      const snap = readHeapSnapshot(file);
      snaps.push(snap);
      console.log(`snapshot ${label} after ${done} requests: ${snap.nodeCount} objects, ${fmt(snap.totalBytes / MB, 1)} MB live; ` +
        `rss ${fmt(s.rssMb, 1)} MB, handles ${s.handles} (${file}, ${fmt(statSync(file).size / MB, 0)} MB)`);
      if (!keep) rmSync(file);
      if (snaps.length > 2) snaps[snaps.length - 3]!.raw = undefined as never; // only the last two are compared
    };

    await runRequests(warmup);
    await settleAndSnap('A (after warm-up)');
    for (let r = 1; r <= rounds; r++) {
      await runRequests(perRound);
      await settleAndSnap(`${String.fromCharCode(65 + r)} (after round ${r})`);
    }
    if (gw.crashed()) throw new Error(`the gateway exited during the run\n${gw.logTail(40)}`);

    table('Outcomes (kind, then HTTP status or aborted by the client; cut: the gateway ended the body early)', ['kind', 'count'],
      [...outcomes.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([k, n]) => [k, n]));
    const engineCounts = engines.map((e) => e.stats);
    console.log(`  encoder processes killed: ${encoderKills}`);
    console.log(`  fake engines: ${engineCounts.map((c) => `${c.plans} plans, ${c.infers} infers, ${c.faults} cut on purpose, ${c.aborted} aborted by the gateway`).join('; ')}`);

    const diffs: { from: string; to: string; total: number; rows: GroupDiff[] }[] = [];
    for (let k = 1; k < snaps.length; k++) {
      const a = snaps[k - 1]!;
      const b = snaps[k]!;
      const rows = diffSnapshots(a, b);
      diffs.push({ from: String.fromCharCode(64 + k), to: String.fromCharCode(65 + k), total: b.totalBytes - a.totalBytes, rows });
    }
    for (const d of diffs) {
      const top = d.rows.filter((r) => r.countAfter > r.countBefore).slice(0, 15);
      table(`Live objects that grew, snapshot ${d.from} → ${d.to} (live heap ${d.total >= 0 ? '+' : ''}${fmt(d.total / 1024, 0)} KB)`,
        ['group', 'count', 'Δcount', 'Δbytes', 'new & alive'],
        top.map((r) => [r.group.slice(0, 70), r.countAfter, `+${r.countAfter - r.countBefore}`, r.bytesAfter - r.bytesBefore, r.newSurvivors]));
    }
    // What holds the objects that grew most in the last round (only those allocated in it).
    const last = diffs.at(-1);
    if (last && snaps.length >= 2) {
      const b = snaps.at(-1)!;
      const a = snaps.at(-2)!;
      const growers = last.rows.filter((r) => r.countAfter - r.countBefore >= 20 && !r.group.startsWith('(string)')).slice(0, 5);
      for (const g of growers) {
        const holders = retainersOf(b, g.group, 4, a);
        console.log(`\n  held: ${g.group} (+${g.countAfter - g.countBefore})`);
        for (const h of holders) console.log(`    ${String(h.count).padStart(6)} × ${h.holder} --${h.edge}-->`);
      }
    }

    const perRoundGrowth = diffs.map((d) => Math.round(d.total / 1024));
    const rssPerRound = roundEnds.slice(1).map((s, k) => Math.round((s.rssMb - roundEnds[k]!.rssMb) * 10) / 10);
    if (perRoundGrowth.length > 0) {
      console.log(`\nlive heap growth per round (snapshot to snapshot, after full GC): ${perRoundGrowth.map((k) => `${k} KB`).join(', ')} ` +
        `(${perRound} requests per round)`);
    }
    console.log(`RSS at the end of the warm-up and of each round: ${roundEnds.map((s) => `${fmt(s.rssMb, 1)}`).join(' → ')} MB ` +
      `(per round: ${rssPerRound.map((d) => `${d >= 0 ? '+' : ''}${d}`).join(', ')} MB${noSnapshots ? '' : '; each snapshot itself costs RSS: use --no-snapshots for RSS figures'})`);
    finish('heap', flags, {
      warmup, perRound, rounds, concurrency, engines: engineCount, samplesPerToken, cacheMb: Number(cacheMb), seed, gatewayEnv: extraEnv,
      outcomes: Object.fromEntries(outcomes),
      encoderKills,
      samples,
      snapshots: snaps.map((s) => ({ objects: s.nodeCount, liveBytes: s.totalBytes })),
      liveHeapGrowthKbPerRound: perRoundGrowth,
      roundEnds,
      rssGrowthMbPerRound: rssPerRound,
      topGrowth: diffs.map((d) => ({ from: d.from, to: d.to, rows: d.rows.slice(0, 15) })),
    });
  } finally {
    if (gw) {
      const stop = await gw.stop(10_000);
      if (stop.survivors.length > 0) console.log(`WARNING: engine processes outlived the gateway: ${stop.survivors.join(', ')}`);
    }
    for (const e of engines) await e.close();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
