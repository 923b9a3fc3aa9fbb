// npm run stress -- --profile short|long [--report FILE.json] [--seed N] [--target URL]
//                   [--duration S] [--concurrency N] [--model NAME]
// Starts our gateway (or drives --target), checks bad input, fetches fault-free references,
// runs load with faults, verifies every response, checks recovery and leaks, prints a report.
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { badInputCases, runBadInput } from './bad-input.js';
import type { ClientConfig } from './client.js';
import { CASES, HUGE_CASES } from './corpus.js';
import { listEngines, waitAllReady } from './engines.js';
import { buildSchedule, FaultInjector } from './faults.js';
import { assertLoopback, getText } from './http.js';
import { LoadRunner } from './load.js';
import { startFakeEngine, type FakeEngineServer } from '../harness/fake-engine.js';
import { sampleMemory, summarizeMemory, type MemorySample } from './memory.js';
import { PROFILES } from './profiles.js';
import { increaseByLabel, parseProm, sumOf, type Series } from './prom.js';
import { attributeEncoderKills, countOutcomes, printReport, timingByFormat, verdictReasons, type Report } from './report.js';
import { verifyResponse } from './verify/verify.js';
import { startGateway, type GatewayProcess } from '../harness/gateway-process.js';
import { childrenOf, readStat, sleep, stillRunning, type ProcStat } from '../harness/procs.js';
import { REPO_ROOT, devModelsDir } from '../models/paths.js';

const STALL_TIMEOUT_MS = 4000;
// Generous: on a shared 2-core machine a multi-chunk request resumed twice can take minutes.
const REQUEST_TIMEOUT_MS = 180_000;

interface Args {
  profile: string;
  report?: string;
  seed: number;
  target?: string;
  duration?: number;
  concurrency?: number;
  model: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { profile: 'short', seed: 7, model: 'kokoro' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--profile') a.profile = v();
    else if (k === '--report') a.report = v();
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--target') a.target = v();
    else if (k === '--duration') a.duration = Number(v());
    else if (k === '--concurrency') a.concurrency = Number(v());
    else if (k === '--model') a.model = v();
    else if (k === '--help' || k === '-h') {
      console.log('npm run stress -- --profile short|long [--report FILE.json] [--seed N] [--target URL] [--duration S] [--concurrency N] [--model NAME]');
      process.exit(0);
    } else throw new Error(`unknown option ${k}`);
  }
  if (!PROFILES[a.profile]) throw new Error(`--profile must be one of ${Object.keys(PROFILES).join(', ')}`);
  if (!Number.isInteger(a.seed)) throw new Error('--seed must be an integer');
  return a;
}

const log = (line: string) => process.stderr.write(`[stress ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function scrape(base: URL): Promise<Series> {
  const r = await getText(base, '/metrics', 5000).catch(() => ({ status: 0, text: '' }));
  return r.status === 200 ? parseProm(r.text) : new Map();
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const profile = PROFILES[args.profile]!;
  const durationS = args.duration ?? profile.durationS;
  const concurrency = args.concurrency ?? profile.concurrency;
  const wallT0 = performance.now();
  const startedAt = new Date().toISOString();
  const notes: string[] = [];

  let gateway: GatewayProcess | undefined;
  let fakeEngines: FakeEngineServer[] = [];
  let base: URL;
  const cases = profile.mix.textClasses.some(([c]) => c === 'huge') ? [...CASES, ...HUGE_CASES] : [...CASES];
  if (args.target) {
    base = new URL(args.target);
    assertLoopback(base);
    notes.push('--target: engine kills, stalls, encoder kills, process leak and memory checks skipped (they need our processes)');
  } else {
    const modelsDir = devModelsDir();
    if (!existsSync(join(REPO_ROOT, 'dist/gateway/main.js'))) throw new Error('dist/gateway/main.js missing: build first (npm run build)');
    if (profile.engines === 'fake') fakeEngines = [await startFakeEngine(), await startFakeEngine()];
    log(`starting gateway (2 ${profile.engines === 'fake' ? 'fast fake engines on loopback' : 'engines'}, models ${modelsDir})`);
    // The log goes to a file so the terminal stays readable; engines are waited for below.
    gateway = await startGateway({
      engines: profile.engines === 'fake' ? 0 : 2,
      modelsDir,
      stallTimeoutMs: STALL_TIMEOUT_MS,
      env: { ...profile.gatewayEnv, ...(fakeEngines.length ? { ENGINE_URLS: fakeEngines.map((e) => e.url).join(',') } : {}) },
      readyWhen: 'ready',
      readyTimeoutMs: 180_000,
      logFile: (port) => join(tmpdir(), `kokoro-stress-gateway-${port}.log`),
    });
    base = gateway.base;
    log(`gateway pid ${gateway.pid} at ${base.origin}, log ${gateway.logFile}`);
  }
  // Interrupted (Ctrl-C, CI timeout): continue any stopped engine and take the gateway down with us.
  let injectorRef: FaultInjector | undefined;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping`);
      injectorRef?.releaseAll();
      const stop = gateway && !gateway.exit ? gateway.stop(5000) : Promise.resolve();
      void stop.finally(() => process.exit(130));
    });
  }
  const client: ClientConfig = { base, model: args.model, timeoutMs: REQUEST_TIMEOUT_MS, apiKey: process.env.STRESS_API_KEY };

  try {
    if (gateway) {
      const ready = await waitAllReady(base, 2, 120_000);
      log(ready.ok ? `both engines ready after ${ready.ms} ms` : 'not every engine became ready; continuing');
    }

    log('bad input');
    const bad = await runBadInput(base, badInputCases(undefined, undefined, { ownGateway: !!gateway }), 60_000);
    for (const b of bad.filter((x) => !x.ok)) log(`bad input WRONG: ${b.name}: ${b.detail}`);

    log(`fetching ${cases.length} fault-free references (pcm)`);
    const { fetchReferences } = await import('./reference.js');
    const refSet = await fetchReferences(client, cases, 2);
    log(`references: ${refSet.refs.size} ok, ${refSet.failed.length} failed, ${refSet.audioSeconds.toFixed(1)} audio-s in ${(refSet.wallMs / 1000).toFixed(1)} s`);
    const usable = cases.filter((c) => refSet.refs.has(c.id));
    if (usable.length === 0) throw new Error('no reference could be fetched; is the server speaking?');

    const metricsBefore = await scrape(base);
    const memT0 = performance.now();
    const memSamples: MemorySample[] = [];
    const memBefore = gateway ? await sampleMemory(base, gateway.pid, memT0) : undefined;
    if (memBefore) memSamples.push(memBefore);

    const load = new LoadRunner({
      client,
      seed: args.seed,
      concurrency,
      durationMs: durationS * 1000,
      burstSize: profile.burstSize,
      mix: profile.mix,
      usable,
      verify: (r) => verifyResponse(r, refSet.refs),
      log,
    });
    const injector = new FaultInjector(
      { base, gatewayPid: gateway?.pid, stallTimeoutMs: STALL_TIMEOUT_MS, burst: () => load.burst(), log },
      args.seed,
    );
    injectorRef = injector;
    const scale = durationS / profile.durationS;
    const counts = Object.fromEntries(Object.entries(profile.faults).map(([k, n]) => [k, Math.max(n > 0 ? 1 : 0, Math.round(n * Math.min(1, scale)))])) as typeof profile.faults;
    const schedule = buildSchedule({ durationMs: durationS * 1000, counts }, args.seed);
    log(`load: ${durationS} s, concurrency ${concurrency}, ${schedule.length} scheduled faults`);

    const loadDone = load.run();
    const faultsDone = injector.run(schedule, performance.now(), () => load.done || !!gateway?.crashed());
    const sampler = setInterval(() => {
      if (gateway && !gateway.exit) void sampleMemory(base, gateway.pid, memT0).then((s) => memSamples.push(s));
    }, profile.memorySampleS * 1000);
    const progress = setInterval(() => {
      const r = load.records;
      log(`${r.length} done: ${r.filter((x) => x.outcome === 'ok').length} ok, ${r.filter((x) => x.outcome === 'rejected').length} rejected`);
    }, 30_000);
    await loadDone;
    clearInterval(progress);
    await faultsDone;
    injector.releaseAll();
    const loadWallS = (performance.now() - memT0) / 1000;
    log(`load finished: ${load.records.length} requests`);

    // ---- after the run: recovery, leaks, memory ----------------------------------------
    const leaked: string[] = [];
    let enginesReadyAfter: Report['checks']['enginesReadyAfter'] = 'skipped';
    let memAfter: MemorySample | undefined;
    let descendants: ProcStat[] = [];
    if (gateway && !gateway.exit) {
      const engineCount = (await listEngines(base))?.length ?? 2;
      const ready = await waitAllReady(base, engineCount, 90_000);
      enginesReadyAfter = { ok: ready.ok, ms: ready.ms };
      await sleep(2000); // let encoders of the last requests exit
      const after = await scrape(base);
      const poolIdle = sumOf(after, 'kokoro_encoder_pool_idle');
      const kids = childrenOf(gateway.pid);
      const encoders = kids.filter((k) => k.comm === 'ffmpeg' && k.state !== 'Z');
      if (encoders.length > poolIdle) leaked.push(`${encoders.length - poolIdle} ffmpeg beyond the ${poolIdle} idle in the warm pool`);
      const enginePids = new Set(((await listEngines(base)) ?? []).map((e) => e.pid));
      for (const k of kids) {
        if (k.state === 'Z') leaked.push(`zombie ${k.comm} ${k.pid}`);
        else if (k.comm !== 'ffmpeg' && !enginePids.has(k.pid)) leaked.push(`unlisted child ${k.comm} ${k.pid}`);
      }
      memAfter = await sampleMemory(base, gateway.pid, memT0);
      memSamples.push(memAfter);
      descendants = kids;
    }
    const metricsAfter = await scrape(base);

    let gatewayCrashed = false;
    if (gateway) {
      gatewayCrashed = gateway.crashed();
      if (gatewayCrashed) notes.push(`gateway exited during the run: code ${gateway.exit?.code} signal ${gateway.exit?.signal}`);
      const stopped = await gateway.stop(40_000);
      if (stopped.forced) notes.push('gateway ignored SIGTERM for 40 s; killed');
      else if (!gatewayCrashed && stopped.code !== 0) notes.push(`gateway exit code after SIGTERM: ${stopped.code ?? stopped.signal}`);
      // Engines still running 3 s after the gateway exited (the helper has killed them since).
      for (const pid of stopped.survivors) leaked.push(`engine ${pid} outlived the gateway`);
      await sleep(2000);
      for (const d of descendants) {
        if (stillRunning(d)) {
          leaked.push(`${d.comm} ${d.pid} outlived the gateway`);
          // Ours by identity (pid + start time): end it so the run leaves nothing behind.
          if (readStat(d.pid)?.startTime === d.startTime) process.kill(d.pid, 'SIGKILL');
        }
      }
    }

    // ---- report ---------------------------------------------------------------------------
    const records = load.records;
    attributeEncoderKills(records, injector.events);
    const outcomes = countOutcomes(records).all ?? countOutcomes([]).all!;
    const done = (k: string) => injector.events.filter((e) => e.kind === k && e.outcome === 'done').length;
    const exactPool = records.filter((r) => (r.format === 'pcm' || r.format === 'wav') && r.outcome === 'ok');
    const audio = records.filter((r) => r.outcome === 'ok').reduce((s, r) => s + (r.audioSeconds ?? 0), 0);
    const body: Omit<Report, 'pass' | 'reasons'> = {
      profile: profile.name,
      seed: args.seed,
      target: args.target ?? `own gateway ${base.origin}`,
      startedAt,
      wallSeconds: (performance.now() - wallT0) / 1000,
      load: { durationSeconds: durationS, concurrency, requests: records.length, burstSize: profile.burstSize },
      references: { cases: cases.length, failed: refSet.failed, audioSeconds: refSet.audioSeconds, wallSeconds: refSet.wallMs / 1000 },
      outcomes: outcomes ?? countOutcomes([]).all!,
      byFormat: countOutcomes(records, (r) => r.format),
      byMode: countOutcomes(records, (r) => r.mode),
      pcmExact: { exact: exactPool.filter((r) => r.exact).length, compared: exactPool.length },
      badInput: { ok: bad.filter((b) => b.ok).length, wrong: bad.filter((b) => !b.ok).length, cases: bad },
      faults: {
        engineSigkill: done('engineSigkill'),
        engineSigsegv: done('engineSigsegv'),
        engineStall: done('engineStall'),
        encoderKill: done('encoderKill'),
        clientAbort: records.filter((r) => r.outcome === 'aborted').length,
        slowReader: records.filter((r) => r.clientFault === 'slowReader').length,
        clientStall: records.filter((r) => r.clientFault === 'stall').length,
        trickle: records.filter((r) => r.clientFault === 'trickle').length,
        hugeFile: records.filter((r) => r.textClass === 'huge').length,
        burst: done('burst'),
        skipped: injector.events.filter((e) => e.outcome === 'skipped').length,
      },
      faultEvents: injector.events,
      retries: {
        total: sumOf(metricsAfter, 'kokoro_speech_retries_total') - sumOf(metricsBefore, 'kokoro_speech_retries_total'),
        byReason: increaseByLabel(metricsBefore, metricsAfter, 'kokoro_speech_retries_total'),
      },
      engineRestarts: sumOf(metricsAfter, 'kokoro_engine_restarts_total') - sumOf(metricsBefore, 'kokoro_engine_restarts_total'),
      encoderReplacements: sumOf(metricsAfter, 'kokoro_encoder_replacements_total') - sumOf(metricsBefore, 'kokoro_encoder_replacements_total'),
      clientStalls: {
        cutSeen: records.filter((r) => r.outcome === 'stalledCut').length,
        gatewayCounted: sumOf(metricsAfter, 'kokoro_client_stalls_total') - sumOf(metricsBefore, 'kokoro_client_stalls_total'),
        spills: sumOf(metricsAfter, 'kokoro_request_spills_total') - sumOf(metricsBefore, 'kokoro_request_spills_total'),
      },
      admissionRejections: increaseByLabel(metricsBefore, metricsAfter, 'kokoro_admission_rejections_total'),
      ...timingByFormat(records),
      audioSecondsDelivered: audio,
      audioSecondsPerSecond: audio / loadWallS,
      memory: gateway ? summarizeMemory(memSamples, memBefore, memAfter) : undefined,
      checks: {
        gatewayCrashed,
        enginesReadyAfter,
        watchdogMissed: injector.events.filter((e) => e.kind === 'engineStall' && e.note?.includes('NOT')).length,
        // Our own gateway must count every stalled client it cut (a cut it does not count would be a failure passing as a stall).
        stallCutsUncounted: gateway ? Math.max(0, records.filter((r) => r.outcome === 'stalledCut').length -
          (sumOf(metricsAfter, 'kokoro_client_stalls_total') - sumOf(metricsBefore, 'kokoro_client_stalls_total'))) : 0,
        leakedProcesses: leaked,
        notes,
      },
      failures: records.filter((r) => !['ok', 'rejected', 'aborted', 'stalledCut', 'encoderKilled'].includes(r.outcome)).slice(0, 100),
      gatewayLog: gateway?.logFile,
    };
    // Timing over all formats, for the table's last row.
    const all = timingByFormat(records.map((r) => ({ ...r, format: 'mp3' as const })));
    body.latencyMs.all = all.latencyMs.mp3!;
    body.ttfbMs.all = all.ttfbMs.mp3!;
    const reasons = verdictReasons(body);
    const report: Report = { pass: reasons.length === 0, reasons, ...body };
    printReport(report, (l) => console.log(l));
    if (args.report) {
      writeFileSync(args.report, JSON.stringify(report, null, 2));
      log(`report written to ${args.report}`);
    }
    return report.pass ? 0 : 1;
  } finally {
    if (gateway && !gateway.exit) await gateway.stop(10_000);
    for (const e of fakeEngines) await e.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    const e = err as Error;
    // Usage mistakes get one line; anything else its stack, to find the fault.
    log(`stress run failed: ${/^(--|unknown option|refusing)/.test(e.message ?? '') ? e.message : e.stack ?? e}`);
    process.exit(2);
  },
);
