// Process faults on a seeded schedule: kill engines (SIGKILL / SIGSEGV), stall one (SIGSTOP,
// then SIGCONT if the watchdog left it alive), kill ffmpeg encoders, and trigger bursts.
// Every signal goes only to a verified child of the gateway this run started.
import { listEngines, type EngineView } from './engines.js';
import { createRng, type Rng } from './prng.js';
import { childrenOf, cmdline, readStat, signalChild, sleep, stillRunning } from '../harness/procs.js';

export type ProcessFault = 'engineSigkill' | 'engineSigsegv' | 'engineStall' | 'encoderKill' | 'burst';

export interface ScheduledFault {
  atMs: number;
  kind: ProcessFault;
}

export interface FaultEvent {
  kind: ProcessFault;
  atMs: number;
  /** When the signal actually went out (ms since load start). */
  firedAtMs?: number;
  pid?: number;
  /** encoderKill: the format from the ffmpeg command line, and whether it had done work. */
  format?: string;
  busy?: boolean;
  outcome: 'done' | 'skipped';
  note?: string;
}

export interface ScheduleSpec {
  durationMs: number;
  counts: Record<ProcessFault, number>;
}

/** Spreads the faults over 10%..85% of the run with seeded jitter and seeded order. */
export function buildSchedule(spec: ScheduleSpec, seed: number): ScheduledFault[] {
  const rng = createRng(seed ^ 0x5f3759df);
  const kinds: ProcessFault[] = [];
  for (const [kind, n] of Object.entries(spec.counts) as [ProcessFault, number][]) for (let i = 0; i < n; i++) kinds.push(kind);
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const start = spec.durationMs * 0.1;
  const span = spec.durationMs * 0.75;
  const slot = span / Math.max(1, kinds.length);
  return kinds.map((kind, i) => ({ kind, atMs: Math.round(start + slot * i + rng.next() * slot * 0.5) }));
}

export interface FaultContext {
  base: URL;
  /** The gateway's pid; undefined with --target (process faults are then skipped). */
  gatewayPid?: number;
  stallTimeoutMs: number;
  burst: () => void;
  log: (line: string) => void;
}

export class FaultInjector {
  readonly events: FaultEvent[] = [];
  /** Engines we stopped and must make sure are continued or gone. */
  private readonly stopped = new Set<{ pid: number; startTime: number }>();
  private readonly rng: Rng;

  constructor(private readonly ctx: FaultContext, seed: number) {
    this.rng = createRng(seed ^ 0x1234567);
  }

  /** Runs the schedule against a clock started at t0; stops early when `stop` resolves true. */
  async run(schedule: ScheduledFault[], t0: number, shouldStop: () => boolean): Promise<void> {
    for (const f of schedule) {
      while (!shouldStop() && performance.now() - t0 < f.atMs) await sleep(Math.min(250, f.atMs - (performance.now() - t0)));
      if (shouldStop()) break;
      const ev = await this.fire(f, t0);
      this.events.push(ev);
      this.ctx.log(`fault ${ev.kind} ${ev.outcome}${ev.pid ? ` pid ${ev.pid}` : ''}${ev.note ? ` (${ev.note})` : ''}`);
    }
  }

  private async fire(f: ScheduledFault, t0: number): Promise<FaultEvent> {
    const base: FaultEvent = { kind: f.kind, atMs: f.atMs, outcome: 'skipped' };
    const now = () => Math.round(performance.now() - t0);
    if (f.kind === 'burst') {
      this.ctx.burst();
      return { ...base, outcome: 'done', firedAtMs: now() };
    }
    const gw = this.ctx.gatewayPid;
    if (gw === undefined) return { ...base, note: 'needs our gateway processes (--target)' };
    if (f.kind === 'encoderKill') return this.killEncoder(gw, base, now);

    const target = await this.pickBusyEngine();
    if (!target?.pid) return { ...base, note: 'no ready engine to hit' };
    const st = readStat(target.pid);
    if (!st) return { ...base, note: 'engine vanished' };
    if (f.kind === 'engineStall') {
      if (!signalChild(target.pid, gw, 'SIGSTOP')) return { ...base, note: `pid ${target.pid} not a child of the gateway` };
      const firedAtMs = now();
      const ident = { pid: target.pid, startTime: st.startTime };
      this.stopped.add(ident);
      // Give the watchdog its limit plus slack, then see whether it acted.
      const deadline = performance.now() + this.ctx.stallTimeoutMs + 6000;
      while (performance.now() < deadline && stillRunning(ident)) await sleep(250);
      const alive = stillRunning(ident);
      if (alive) this.resume(ident);
      this.stopped.delete(ident);
      return {
        ...base,
        outcome: 'done',
        firedAtMs,
        pid: target.pid,
        note: alive ? `watchdog did NOT kill it within ${this.ctx.stallTimeoutMs + 6000} ms; sent SIGCONT` : 'watchdog killed it',
      };
    }
    const signal = f.kind === 'engineSigkill' ? 'SIGKILL' : 'SIGSEGV';
    if (!signalChild(target.pid, gw, signal)) return { ...base, note: `pid ${target.pid} not a child of the gateway` };
    return { ...base, outcome: 'done', firedAtMs: now(), pid: target.pid, note: `inFlight ${target.inFlight}` };
  }

  /** A ready engine with work in flight (so a resume is exercised), waiting a little for one. */
  private async pickBusyEngine(): Promise<EngineView | undefined> {
    let fallback: EngineView | undefined;
    for (let i = 0; i < 20; i++) {
      const engines = (await listEngines(this.ctx.base)) ?? [];
      const ready = engines.filter((e) => e.state === 'ready' && e.pid);
      const busy = ready.filter((e) => e.inFlight > 0);
      // Prefer a moment when another engine is ready to take the resumed work.
      if (busy.length && ready.length >= 2) return this.rng.pick(busy);
      if (busy.length) fallback = this.rng.pick(busy);
      else if (ready.length) fallback ??= this.rng.pick(ready);
      await sleep(250);
    }
    return fallback;
  }

  private async killEncoder(gw: number, base: FaultEvent, now: () => number): Promise<FaultEvent> {
    // Alternate: even kills hit a working encoder (mid-stream), odd ones an idle warm one.
    const wantBusy = this.events.filter((e) => e.kind === 'encoderKill').length % 2 === 0;
    for (let i = 0; i < 20; i++) {
      const encoders = childrenOf(gw).filter((p) => p.comm === 'ffmpeg' && p.state !== 'Z');
      // Start-up costs a warm encoder a few ticks too: "busy" means clearly above the quietest.
      const floor = Math.min(...encoders.map((p) => p.cpuTicks));
      const busy = encoders.filter((p) => p.cpuTicks > floor + 2).sort((a, b) => b.cpuTicks - a.cpuTicks).slice(0, 1);
      const idle = encoders.filter((p) => p.cpuTicks <= floor + 2);
      const pool = wantBusy ? busy : idle.length ? idle : busy;
      if (pool.length) {
        const victim = this.rng.pick(pool);
        const args = cmdline(victim.pid);
        const fi = args.lastIndexOf('-f');
        const format = fi >= 0 ? args[fi + 1] : undefined;
        if (signalChild(victim.pid, gw, 'SIGKILL')) {
          return { ...base, outcome: 'done', firedAtMs: now(), pid: victim.pid, format, busy: busy.includes(victim), note: `${victim.cpuTicks} cpu ticks` };
        }
      }
      await sleep(250);
    }
    return { ...base, note: 'no encoder process found' };
  }

  private resume(ident: { pid: number; startTime: number }): void {
    if (!stillRunning(ident)) return;
    try {
      process.kill(ident.pid, 'SIGCONT');
    } catch {
      /* gone meanwhile */
    }
  }

  /** Never leave a stopped engine behind, whatever happened. */
  releaseAll(): void {
    for (const s of this.stopped) this.resume(s);
    this.stopped.clear();
  }
}
