// Builds the run report (plain-named counts for the JSON) and prints the terminal table.
import type { BadInputResult } from './bad-input.js';
import type { FaultEvent } from './faults.js';
import type { LoadRecord } from './load.js';
import type { MemorySummary } from './memory.js';
import { quantiles, type Quantiles } from './stats.js';
import { FORMATS, OUTCOMES, type Outcome } from './types.js';

/** Outcomes plus the one counted apart: a visible cut caused by our own encoder kill. */
export type ReportOutcome = Outcome | 'encoderKilled';
type Counts = Record<ReportOutcome, number>;

const emptyCounts = (): Counts => Object.fromEntries([...OUTCOMES, 'encoderKilled'].map((o) => [o, 0])) as Counts;

export interface Report {
  pass: boolean;
  reasons: string[];
  profile: string;
  seed: number;
  target: string;
  startedAt: string;
  wallSeconds: number;
  load: { durationSeconds: number; concurrency: number; requests: number; burstSize: number };
  references: { cases: number; failed: { caseId: string; detail: string }[]; audioSeconds: number; wallSeconds: number };
  outcomes: Counts;
  byFormat: Record<string, Counts>;
  byMode: Record<string, Counts>;
  pcmExact: { exact: number; compared: number };
  badInput: { ok: number; wrong: number; cases: BadInputResult[] };
  faults: Record<string, number> & { skipped: number };
  faultEvents: FaultEvent[];
  retries: { total: number; byReason: Record<string, number> };
  engineRestarts: number;
  encoderReplacements: number;
  /** Clients cut for not reading (seen by us / counted by the gateway), and responses that spilled to disk. */
  clientStalls: { cutSeen: number; gatewayCounted: number; spills: number };
  admissionRejections: Record<string, number>;
  latencyMs: Record<string, Quantiles>;
  ttfbMs: Record<string, Quantiles>;
  audioSecondsPerSecond: number;
  audioSecondsDelivered: number;
  memory?: MemorySummary;
  checks: {
    gatewayCrashed: boolean;
    enginesReadyAfter: { ok: boolean; ms: number } | 'skipped';
    watchdogMissed: number;
    stallCutsUncounted: number;
    leakedProcesses: string[];
    notes: string[];
  };
  failures: LoadRecord[];
  gatewayLog?: string;
}

const FFMPEG_FORMAT: Record<string, string> = { mp3: 'mp3', ogg: 'opus', opus: 'opus', adts: 'aac', aac: 'aac', mp4: 'aac', ipod: 'aac', flac: 'flac' };

/**
 * One busy encoder we killed may visibly fail the one request it served (the client sees the
 * cut, nothing silent). Each such kill excuses at most one visible failure of its format
 * that was in flight at that moment.
 */
export function attributeEncoderKills(records: LoadRecord[], events: FaultEvent[]): number {
  let excused = 0;
  for (const ev of events) {
    if (ev.kind !== 'encoderKill' || ev.outcome !== 'done' || ev.firedAtMs === undefined) continue;
    const format = ev.format ? FFMPEG_FORMAT[ev.format] : undefined;
    const victim = records.find(
      (r) =>
        r.visibleFailure &&
        !r.detail?.includes('timed out') && // a hang is not a clean cut
        (r.outcome === 'truncated' || r.outcome === 'lost' || r.outcome === 'corrupt') &&
        (format === undefined || r.format === format) &&
        r.startMs <= ev.firedAtMs! &&
        ev.firedAtMs! <= r.endMs + 500,
    );
    if (victim) {
      victim.detail = `${victim.outcome} after our encoder kill (pid ${ev.pid}): ${victim.detail ?? ''}`;
      victim.outcome = 'encoderKilled' as Outcome;
      excused++;
    }
  }
  return excused;
}

export function countOutcomes(records: LoadRecord[], key?: (r: LoadRecord) => string): Record<string, Counts> {
  const out: Record<string, Counts> = {};
  for (const r of records) {
    const k = key ? key(r) : 'all';
    (out[k] ??= emptyCounts())[r.outcome as ReportOutcome]++;
  }
  return out;
}

export function timingByFormat(records: LoadRecord[]): { latencyMs: Record<string, Quantiles>; ttfbMs: Record<string, Quantiles> } {
  const latencyMs: Record<string, Quantiles> = {};
  const ttfbMs: Record<string, Quantiles> = {};
  for (const f of FORMATS) {
    const ok = records.filter((r) => r.format === f && r.outcome === 'ok');
    latencyMs[f] = quantiles(ok.map((r) => r.latencyMs));
    ttfbMs[f] = quantiles(ok.filter((r) => r.ttfbMs !== undefined).map((r) => r.ttfbMs!));
  }
  return { latencyMs, ttfbMs };
}

export const FAILING: ReportOutcome[] = ['lost', 'truncated', 'corrupt', 'mixedUp', 'badRejection'];

export function verdictReasons(r: Omit<Report, 'pass' | 'reasons'>): string[] {
  const reasons: string[] = [];
  for (const o of FAILING) if (r.outcomes[o]) reasons.push(`${r.outcomes[o]} ${o}`);
  if (r.badInput.wrong) reasons.push(`${r.badInput.wrong} bad-input case(s) answered wrongly`);
  if (r.checks.gatewayCrashed) reasons.push('the gateway crashed');
  if (r.checks.leakedProcesses.length) reasons.push(`leaked processes: ${r.checks.leakedProcesses.join(', ')}`);
  if (r.checks.enginesReadyAfter !== 'skipped' && !r.checks.enginesReadyAfter.ok) reasons.push('not every engine ready again after the run');
  if (r.checks.stallCutsUncounted) reasons.push(`${r.checks.stallCutsUncounted} stalled client(s) cut without kokoro_client_stalls_total counting them`);
  if (r.checks.watchdogMissed) reasons.push(`${r.checks.watchdogMissed} stalled engine(s) not killed by the watchdog`);
  if (r.references.failed.length) reasons.push(`${r.references.failed.length} reference(s) could not be fetched`);
  return reasons;
}

const pad = (s: string | number | undefined, n: number) => String(s ?? '-').padStart(n);

export function printReport(r: Report, out: (line: string) => void): void {
  out('');
  out(`stress ${r.profile} · seed ${r.seed} · ${r.target} · ${r.wallSeconds.toFixed(0)} s wall, ${r.load.requests} requests`);
  const cols: ReportOutcome[] = ['ok', 'rejected', 'aborted', 'stalledCut', 'encoderKilled', 'lost', 'truncated', 'corrupt', 'mixedUp', 'badRejection'];
  const short: Record<string, string> = { encoderKilled: 'encKill', badRejection: 'badRej', stalledCut: 'stallCut' };
  out(`${'format'.padEnd(8)}${cols.map((c) => pad(short[c] ?? c, 10)).join('')}${pad('lat p50', 9)}${pad('p95', 7)}${pad('p99', 7)}${pad('ttfb50', 8)}${pad('p95', 7)}`);
  for (const f of [...FORMATS, 'all']) {
    const c = f === 'all' ? r.outcomes : r.byFormat[f] ?? emptyCounts();
    const lat = r.latencyMs[f];
    const tt = r.ttfbMs[f];
    out(`${f.padEnd(8)}${cols.map((k) => pad(c[k], 10)).join('')}${pad(lat?.p50, 9)}${pad(lat?.p95, 7)}${pad(lat?.p99, 7)}${pad(tt?.p50, 8)}${pad(tt?.p95, 7)}`);
  }
  out('(latency and time-to-first-byte in ms, successful requests only)');
  out(`modes: ${Object.entries(r.byMode).map(([m, c]) => `${m} ${c.ok}/${Object.values(c).reduce((a, b) => a + b, 0)} ok`).join(', ')}`);
  out(`pcm/wav identical to reference: ${r.pcmExact.exact}/${r.pcmExact.compared}`);
  out(`bad input: ${r.badInput.ok} right, ${r.badInput.wrong} wrong`);
  for (const b of r.badInput.cases.filter((c) => !c.ok)) out(`  WRONG ${b.name}: ${b.detail}`);
  const f = r.faults;
  out(`faults: engine SIGKILL ${f.engineSigkill}, SIGSEGV ${f.engineSigsegv}, stall ${f.engineStall}, encoder kill ${f.encoderKill}, ` +
    `client abort ${f.clientAbort}, slow reader ${f.slowReader}, stalled reader ${f.clientStall}, trickle ${f.trickle}, huge file ${f.hugeFile}, burst ${f.burst}, skipped ${f.skipped}`);
  out(`stalled clients cut: ${r.clientStalls.cutSeen} seen, ${r.clientStalls.gatewayCounted} counted by the gateway · responses spilled to disk: ${r.clientStalls.spills}`);
  out(`retries/resumes: ${r.retries.total} ${JSON.stringify(r.retries.byReason)} · engine restarts: ${r.engineRestarts} · encoder replacements: ${r.encoderReplacements} · admission rejections: ${JSON.stringify(r.admissionRejections)}`);
  out(`audio: ${r.audioSecondsDelivered.toFixed(1)} s delivered, ${r.audioSecondsPerSecond.toFixed(2)} audio-s per wall-s`);
  if (r.memory?.before && r.memory.after) {
    const b = r.memory.before, a = r.memory.after;
    out(`memory: gateway ${b.gatewayMb} -> ${a.gatewayMb} MB, engines ${b.enginesMb} -> ${a.enginesMb} MB (${a.engineCount} engines)` +
      (r.memory.gatewayDriftMbPerHour !== undefined ? `; drift gateway ${r.memory.gatewayDriftMbPerHour} MB/h, per engine ${r.memory.enginesDriftMbPerHour} MB/h` : ''));
  }
  const ready = r.checks.enginesReadyAfter;
  out(`after: engines ready ${ready === 'skipped' ? 'skipped' : ready.ok ? `yes (${ready.ms} ms)` : 'NO'}, leaked ${r.checks.leakedProcesses.length ? r.checks.leakedProcesses.join(', ') : 'none'}, gateway crashed ${r.checks.gatewayCrashed ? 'YES' : 'no'}`);
  for (const n of r.checks.notes) out(`note: ${n}`);
  for (const x of r.failures.slice(0, 15)) out(`  FAIL #${x.seq} ${x.format}/${x.mode} ${x.caseId} ${x.outcome}: ${x.detail ?? ''}`);
  out(r.pass ? 'PASS' : `FAIL: ${r.reasons.join('; ')}`);
}
