// bench:schedule — the chunk scheduler measured without CPU noise: the real gateway chunk layer
// (ChunkSource, scheduler, planner, supervisor, engine client, HTTP on loopback) against fake
// engines whose inference thread sleeps (harness/queue-engine.ts): a chunk costs
// --call-ms + --token-ms x tokens, a plan step --plan-ms, all on one FIFO per engine, one
// inference at a time, as the real engine does. Plans are the real front end's (the texts are
// chunked here, once, with the "new" and the "off" chunk rules), so chunk sizes are real.
//
// Each mode runs every level: C clients send distinct paragraphs back to back for --seconds
// (model seconds; requests in flight at the deadline finish and count, as bench:latency does).
// Figures are in model time (wall / --scale): audio s per s (audio = --audio-ms per token),
// first audio p50/p95, engine busy share, calls, and how long engines sat idle while a plan
// step waited behind an inference on another engine. Same texts, same order, for every mode.
//
//   npm run bench:schedule -- [--concurrency 1,2,4] [--seconds 60] [--engines 2] [--scale 0.1]
//     [--call-ms 100] [--token-ms 50] [--plan-ms 10] [--audio-ms 58] [--modes new,off,...]
//     [--rounds 1] [--identical] [--skip-throughput] [--trace] [--json FILE]
// Default costs model this 2-core machine: about 1.1x realtime per 1-thread engine; 58 ms of audio
// per token (af_heart, trimmed edges: 56.4-59.5 ms over five bench paragraphs); a call's fixed cost
// from bench:first-chunk (a 40-token first chunk took ~0.53 of an 80-token one, front end included).
import { ChunkCache } from '../gateway/chunks/cache.js';
import { ChunkSource } from '../gateway/chunks/source.js';
import { loadSupervisionConfig } from '../gateway/engines/config.js';
import { Supervisor } from '../gateway/engines/supervisor.js';
import type { SpeechJob } from '../gateway/speech/types.js';
import { createTextFrontEnd, type ChunkOptions } from '../engine/text/index.js';
import type { PlannedChunk } from '../protocol/engine-wire.js';
import { queueEngine, type CostModel, type JobRecord, type QueueEngine } from '../harness/queue-engine.js';
import { Flags, finish, fmt, modelsDir, ms, percentile, runMain, sum, table } from './lib/common.js';
import { TextPool } from './lib/text-pool.js';

interface Mode {
  name: string;
  /** LOOKAHEAD_CHUNKS as the gateway gets it (0 = PARALLEL_CHUNKS=0). */
  lookahead: number;
  /** The chunk rule: 'new' (FIRST_CHUNK_TOKENS 40, ramp) or 'off' (80, no ramp). */
  chunking: 'new' | 'off';
  cacheMb: number;
  /** false: plans queue behind inference on the engine (the scheduler before plan slots). */
  planSlots?: boolean;
  doc: string;
}

const MODES: Record<string, Mode> = {
  new: { name: 'new', lookahead: 4, chunking: 'new', cacheMb: 256, doc: 'defaults' },
  off: { name: 'off', lookahead: 0, chunking: 'off', cacheMb: 0, doc: 'PARALLEL_CHUNKS=0 FIRST_CHUNK_TOKENS=80 CHUNK_RAMP=0 CACHE_MB=0' },
  'new-before': { name: 'new-before', lookahead: 4, chunking: 'new', cacheMb: 256, planSlots: false, doc: 'defaults, but plans leased as before plan slots (queued behind inference)' },
  'ahead-only': { name: 'ahead-only', lookahead: 4, chunking: 'off', cacheMb: 0, doc: 'lookahead on, the old chunk rule, no cache' },
  'chunks-only': { name: 'chunks-only', lookahead: 0, chunking: 'new', cacheMb: 0, doc: 'the new chunk rule, no lookahead, no cache' },
};

const CHUNKING: Record<Mode['chunking'], ChunkOptions> = {
  new: {},
  off: { firstChunkTokens: 80, growth: Infinity },
};

interface RunResult {
  mode: string;
  clients: number;
  requests: number;
  audioS: number;
  wallS: number;
  firstAudioMs: number[];
  busyShare: number;
  calls: number;
  tokensPerCall: number;
  callShare: number;
  planWaitMs: number[];
  /** Engine idle time (model s, all engines) while a plan step of some request waited on another engine's thread. */
  idleWhilePlanWaitedS: number;
  /** Engine idle time (model s) in all, between the first request and the last end. */
  idleS: number;
  lookaheadCalls: number;
}

/** Closed loop: `clients` send texts(0), texts(1), ... back to back for `seconds`; batch: all `texts` at once, once. */
type Work = { kind: 'loop'; clients: number; seconds: number; texts: (i: number) => string } | { kind: 'batch'; texts: string[] };

async function runLevel(mode: Mode, work: Work, plans: Map<string, PlannedChunk[]>, o: {
  engines: number; cost: CostModel; audioMsPerToken: number; trace: boolean;
}): Promise<RunResult> {
  const clients = work.kind === 'loop' ? work.clients : work.texts.length;
  const log: JobRecord[] = [];
  const names = new Map<string, string>();
  const planOf = (text: string) => {
    const p = plans.get(`${mode.chunking}\n${text}`);
    if (!p) throw new Error('text not planned');
    return p;
  };
  const engines: QueueEngine[] = await Promise.all(Array.from({ length: o.engines }, (_, i) =>
    queueEngine(`e${i}`, { cost: o.cost, planFor: planOf, nameOf: (t) => names.get(t) ?? '?', log })));
  const config = loadSupervisionConfig({
    ENGINES: '1', STALL_TIMEOUT_MS: '600000', CHUNK_TIMEOUT_MS: '600000', ENGINE_WAIT_MS: '600000', HEALTH_INTERVAL_MS: '1000',
  }, []);
  // As local CPU engines: 2 requests in flight (plans count), 1 chunk slot.
  const sup = new Supervisor({
    config: { ...config, slots: engines.map((e) => ({ id: e.id, kind: 'remote' as const, device: 'cpu', threads: 1, url: e.url, maxInFlight: 2, chunkSlots: 1 })) },
    engineMain: '/nonexistent', engineEnv: {}, log: () => {},
  });
  sup.start();
  while (sup.readyCount() < engines.length) await new Promise((r) => sup.once('change', r));
  const cache = new ChunkCache({ memoryBytes: mode.cacheMb * 1024 * 1024 });
  const source = new ChunkSource({ engines: sup, config, lookaheadChunks: mode.lookahead, cache, planSlots: mode.planSlots, log: () => {} });

  const firstAudio: number[] = [];
  let audioTokens = 0;
  let requests = 0;
  let next = 0;
  const t0 = performance.now();
  let lastEnd = t0;
  const one = async (n: number, text: string) => {
    const requestId = `r${n}`;
    if (!names.has(text)) names.set(text, requestId);
    const job: SpeechJob = { requestId, text, voice: 'af_heart', speed: 1 };
    const start = performance.now();
    let first = NaN;
    for await (const ev of source.synthesize(job, new AbortController().signal)) {
      if (ev.type === 'audio' && Number.isNaN(first)) first = performance.now() - start;
      if (ev.type === 'end') audioTokens += ev.inputTokens;
    }
    firstAudio.push(first / o.cost.scale);
    requests++;
    lastEnd = Math.max(lastEnd, performance.now());
  };
  try {
    if (work.kind === 'batch') {
      await Promise.all(work.texts.map((t, i) => one(i, t)));
    } else {
      const deadline = t0 + work.seconds * 1000 * o.cost.scale;
      await Promise.all(Array.from({ length: clients }, async () => {
        while (performance.now() < deadline) {
          const n = next++;
          await one(n, work.texts(n));
        }
      }));
    }
  } finally {
    source.scheduler.dispose();
    await sup.stop();
    await Promise.all(engines.map((e) => e.close()));
  }
  const wall = lastEnd - t0;
  if (o.trace) printTrace(mode.name, clients, log, t0, o.cost.scale);
  return { mode: mode.name, clients, requests, audioS: (audioTokens * o.audioMsPerToken) / 1000, wallS: wall / o.cost.scale / 1000, firstAudioMs: firstAudio, ...analyse(log, engines.map((e) => e.id), t0, lastEnd, o.cost) };
}

/** Each engine's jobs in order: request/chunk(tokens) start-end, model seconds; plan steps as P, PLANNED as D. */
function printTrace(mode: string, clients: number, log: JobRecord[], t0: number, scale: number): void {
  console.log(`trace ${mode} x${clients} (model s; [queued→]start-end; infer r.c(tokens), plan step P r.c, PLANNED D r):`);
  const s = (t: number) => ((t - t0) / scale / 1000).toFixed(1);
  for (const id of [...new Set(log.map((j) => j.engine))].sort()) {
    const jobs = log.filter((j) => j.engine === id).sort((a, b) => a.startedAt - b.startedAt);
    console.log(`  ${id}: ${jobs.map((j) => {
      const what = j.kind === 'infer' ? `${j.requestId}.${j.chunk}(${j.tokens})` : j.kind === 'plan' ? `P${j.requestId}.${j.chunk}` : `D${j.requestId}`;
      const waited = j.startedAt - j.queuedAt > 50 * scale ? `${s(j.queuedAt)}→` : '';
      return `${what} ${waited}${s(j.startedAt)}-${s(j.endedAt)}`;
    }).join(' | ')}`);
  }
}

/** Busy share, calls, and idle time while a plan step waited elsewhere, from the job log. */
function analyse(log: JobRecord[], ids: string[], t0: number, t1: number, cost: CostModel) {
  const infers = log.filter((j) => j.kind === 'infer');
  const busy = sum(log.map((j) => j.endedAt - j.startedAt));
  const planSteps = log.filter((j) => j.kind !== 'infer');
  // A lookahead call: an inference of chunk k started while an earlier chunk of the same request had not ended.
  let lookaheadCalls = 0;
  for (const j of infers) {
    if (infers.some((x) => x.requestId === j.requestId && x.chunk < j.chunk && x.endedAt > j.startedAt)) lookaheadCalls++;
  }
  // Idle intervals per engine, then the part of each during which some plan step was queued (not started) on another engine.
  let idle = 0;
  let idleWhilePlan = 0;
  const waits = planSteps.map((j) => ({ engine: j.engine, from: j.queuedAt, to: j.startedAt })).filter((w) => w.to > w.from);
  for (const id of ids) {
    const mine = log.filter((j) => j.engine === id).sort((a, b) => a.startedAt - b.startedAt);
    const gaps: [number, number][] = [];
    let at = t0;
    for (const j of mine) {
      if (j.startedAt > at) gaps.push([at, Math.min(j.startedAt, t1)]);
      at = Math.max(at, j.endedAt);
    }
    if (t1 > at) gaps.push([at, t1]);
    for (const [a, b] of gaps) {
      if (b <= a) continue;
      idle += b - a;
      // Union of the other engines' plan waits within [a, b].
      const spans = waits.filter((w) => w.engine !== id && w.to > a && w.from < b).map((w) => [Math.max(a, w.from), Math.min(b, w.to)] as const)
        .sort((x, y) => x[0] - y[0]);
      let end = a;
      for (const [s, e] of spans) {
        if (e <= end) continue;
        idleWhilePlan += e - Math.max(s, end);
        end = e;
      }
    }
  }
  const toS = (wallMs: number) => wallMs / cost.scale / 1000;
  const callMsAll = infers.length * cost.callMs * cost.scale;
  return {
    busyShare: busy / (ids.length * (t1 - t0)),
    calls: infers.length,
    tokensPerCall: infers.length ? sum(infers.map((j) => j.tokens)) / infers.length : NaN,
    callShare: busy ? callMsAll / busy : NaN,
    planWaitMs: planSteps.map((j) => (j.startedAt - j.queuedAt) / cost.scale),
    idleWhilePlanWaitedS: toS(idleWhilePlan),
    idleS: toS(idle),
    lookaheadCalls,
  };
}

function aggregate(rs: RunResult[]): RunResult {
  const w = sum(rs.map((r) => r.wallS));
  return {
    mode: rs[0]!.mode, clients: rs[0]!.clients, requests: sum(rs.map((r) => r.requests)), audioS: sum(rs.map((r) => r.audioS)), wallS: w,
    firstAudioMs: rs.flatMap((r) => r.firstAudioMs), busyShare: sum(rs.map((r) => r.busyShare * r.wallS)) / w, calls: sum(rs.map((r) => r.calls)),
    tokensPerCall: sum(rs.map((r) => r.tokensPerCall * r.calls)) / sum(rs.map((r) => r.calls)),
    callShare: sum(rs.map((r) => r.callShare * r.wallS)) / w, planWaitMs: rs.flatMap((r) => r.planWaitMs),
    idleWhilePlanWaitedS: sum(rs.map((r) => r.idleWhilePlanWaitedS)), idleS: sum(rs.map((r) => r.idleS)), lookaheadCalls: sum(rs.map((r) => r.lookaheadCalls)),
  };
}

const rate = (r: RunResult) => r.audioS / r.wallS;

runMain(async () => {
  const flags = new Flags();
  if (flags.has('--help')) {
    console.log('npm run bench:schedule -- [--concurrency 1,2,4] [--seconds 60] [--rounds 1] [--engines 2] [--scale 0.1] [--call-ms 100] ' +
      `[--token-ms 50] [--plan-ms 10] [--audio-ms 58] [--modes ${Object.keys(MODES).join(',')}] [--identical] [--skip-throughput] [--trace] [--json FILE]`);
    return;
  }
  const levels = flags.ints('--concurrency', [1, 2, 4]);
  const seconds = flags.num('--seconds', 60);
  const rounds = Math.round(flags.num('--rounds', 1));
  const engines = Math.round(flags.num('--engines', 2));
  const cost: CostModel = {
    callMs: flags.num('--call-ms', 100), tokenMs: flags.num('--token-ms', 50), planStepMs: flags.num('--plan-ms', 10), scale: flags.num('--scale', 0.1),
  };
  const audioMsPerToken = flags.num('--audio-ms', 58);
  const modeNames = (flags.str('--modes') ?? 'new,off,new-before').split(',').map((s) => s.trim());
  for (const m of modeNames) if (!MODES[m]) throw new Error(`unknown mode ${m}; known: ${Object.keys(MODES).join(', ')}`);
  const modes = modeNames.map((m) => MODES[m]!);
  const identical = flags.has('--identical');
  const throughput = !flags.has('--skip-throughput');
  const trace = flags.has('--trace');
  const o = { engines, cost, audioMsPerToken, trace };

  console.log(`bench:schedule — fake engines (${engines} x 1 chunk slot), chunk = ${cost.callMs} ms + ${cost.tokenMs} ms/token, ` +
    `plan step ${cost.planStepMs} ms, audio ${audioMsPerToken} ms/token, model time x${cost.scale} wall; ${seconds} model s per level, ${rounds} round(s)`);
  for (const m of modes) console.log(`  ${m.name}: ${m.doc}`);

  // Texts: distinct paragraphs, every round its own, planned once with both chunk rules.
  const pool = new TextPool();
  const perLevel = (c: number) => Math.ceil(c + (seconds * 1000 * c) / (cost.callMs + cost.tokenMs * 250)) + 2 * c + 4;
  const need = (throughput ? Math.max(...levels.map(perLevel)) : 0) + (identical ? 5 : 0);
  const texts = Array.from({ length: need * rounds }, () => pool.take('paragraph'));
  const fe = await createTextFrontEnd({ modelsDir: modelsDir() });
  const plans = new Map<string, PlannedChunk[]>();
  for (const rule of ['new', 'off'] as const) {
    for (const t of texts) {
      const chunks = await fe.chunk(t, 'en-us', CHUNKING[rule]);
      plans.set(`${rule}\n${t}`, chunks.map((c, index) => ({ index, tokens: c.tokens })));
    }
  }
  const sizes = (rule: 'new' | 'off') => texts.slice(0, 3).map((t) => plans.get(`${rule}\n${t}`)!.map((c) => c.tokens.length).join('+')).join(', ');
  console.log(`chunk tokens of the first texts: new ${sizes('new')}; off ${sizes('off')}`);
  const base = modes.find((m) => m.name === 'off')?.name ?? modes[0]!.name;

  const results: RunResult[][] = []; // per round
  if (throughput) {
    console.log(`\n== throughput: distinct paragraphs back to back, ${seconds} model s per level ==`);
    for (let r = 0; r < rounds; r++) {
      const mine = texts.slice(r * need, r * need + need);
      const row: RunResult[] = [];
      for (const c of levels) {
        const line: string[] = [];
        for (const m of modes) {
          const x = await runLevel(m, { kind: 'loop', clients: c, seconds, texts: (i) => mine[i % mine.length]! }, plans, o);
          row.push(x);
          line.push(`${m.name} ${fmt(rate(x))}`);
        }
        console.log(`  round ${r + 1} x${c}: audio s/s ${line.join(', ')}`);
      }
      results.push(row);
    }
    const all = results.flat();
    const rows = levels.flatMap((c) => modes.map((m) => {
      const rs = all.filter((x) => x.clients === c && x.mode === m.name);
      const a = aggregate(rs);
      const ratios = results.map((row) => {
        const x = row.find((y) => y.clients === c && y.mode === m.name)!;
        const b = row.find((y) => y.clients === c && y.mode === base)!;
        return rate(x) / rate(b);
      });
      const b = aggregate(all.filter((x) => x.clients === c && x.mode === base));
      return { a, ratio: rate(a) / rate(b), lo: Math.min(...ratios), hi: Math.max(...ratios) };
    }));
    table(`throughput and first audio, model time (${rounds} round(s) pooled; vs ${base}: pooled, then the lowest and highest single round)`,
      ['mode', 'clients', 'requests', 'audio s/s', `vs ${base}`, 'rounds lo-hi', 'first p50/p95 ms', 'engine busy', 'idle s', 'idle while a plan waited s',
        'calls', 'tokens/call', 'call overhead', 'lookahead calls', 'plan step wait p50/max ms'],
      rows.map(({ a, ratio, lo, hi }) => [a.mode, a.clients, a.requests, fmt(rate(a)), fmt(ratio), `${fmt(lo)}-${fmt(hi)}`,
        `${ms(percentile(a.firstAudioMs, 50))}/${ms(percentile(a.firstAudioMs, 95))}`, `${fmt(100 * a.busyShare, 0)}%`, fmt(a.idleS, 1),
        fmt(a.idleWhilePlanWaitedS, 1), a.calls, fmt(a.tokensPerCall, 0), `${fmt(100 * a.callShare, 1)}%`, a.lookaheadCalls,
        `${ms(percentile(a.planWaitMs, 50))}/${ms(Math.max(...a.planWaitMs))}`]),
      'engine busy = share of engine time on jobs (inference + plan steps) from the first request to the last end; idle s: engine seconds idle in\n' +
      'that span, of which "while a plan waited": idle while a plan step sat queued behind an inference on another engine.');
  }

  const batches: { round: number; mode: string; kind: 'identical' | 'distinct'; r: RunResult }[] = [];
  if (identical) {
    console.log('\n== 4 identical requests at once vs 4 distinct (paragraphs) ==');
    for (let r = 0; r < rounds; r++) {
      const mine = texts.slice(r * need + need - 5, r * need + need);
      for (const m of modes) {
        for (const kind of r % 2 ? ['distinct', 'identical'] as const : ['identical', 'distinct'] as const) {
          const batch = kind === 'identical' ? [mine[0]!, mine[0]!, mine[0]!, mine[0]!] : mine.slice(1, 5);
          batches.push({ round: r, mode: m.name, kind, r: await runLevel(m, { kind: 'batch', texts: batch }, plans, o) });
        }
      }
    }
    table(`4 at once: identical vs distinct, model time (${rounds} round(s) pooled)`,
      ['mode', 'identical audio s/s', 'distinct audio s/s', 'identical/distinct', 'calls identical/distinct', 'engine busy identical/distinct', 'first p50 identical/distinct ms'],
      modes.map((m) => {
        const i = aggregate(batches.filter((b) => b.mode === m.name && b.kind === 'identical').map((b) => b.r));
        const d = aggregate(batches.filter((b) => b.mode === m.name && b.kind === 'distinct').map((b) => b.r));
        return [m.name, fmt(rate(i)), fmt(rate(d)), fmt(rate(i) / rate(d)), `${i.calls}/${d.calls}`,
          `${fmt(100 * i.busyShare, 0)}%/${fmt(100 * d.busyShare, 0)}%`, `${ms(percentile(i.firstAudioMs, 50))}/${ms(percentile(d.firstAudioMs, 50))}`];
      }),
      'wall = all four sent at once -> the last one ends.');
  }

  finish('schedule', flags, {
    cost, audioMsPerToken, seconds, rounds, engines, modes,
    results: results.flat().map((r) => ({ ...r, audioPerSecond: rate(r) })),
    identical: batches.map((b) => ({ round: b.round, mode: b.mode, kind: b.kind, audioPerSecond: rate(b.r), calls: b.r.calls, wallS: b.r.wallS })),
  });
});
