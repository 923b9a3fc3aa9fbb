// Shared helpers for the benchmark commands: flags, statistics, tables, the final JSON line,
// and child processes that are always killed by PID, even on error or Ctrl-C.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT, devModelsDir } from '../../models/paths.js';

export { REPO_ROOT };
// Process helpers shared with the tests and the stress suite.
export { procStatusBytes, sleep } from '../../harness/procs.js';
export const DIST = resolve(REPO_ROOT, 'dist');

export function modelsDir(): string {
  return devModelsDir();
}

// ---- flags -----------------------------------------------------------------------------

export class Flags {
  constructor(private readonly argv: string[] = process.argv.slice(2)) {}
  has(name: string): boolean {
    return this.argv.includes(name);
  }
  str(name: string): string | undefined {
    const i = this.argv.indexOf(name);
    if (i < 0) return undefined;
    const v = this.argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
    return v;
  }
  num(name: string, fallback: number): number {
    const v = this.str(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${v}'`);
    return n;
  }
  ints(name: string, fallback: number[]): number[] {
    const v = this.str(name);
    if (v === undefined) return fallback;
    const out = v.split(',').map((s) => Number(s.trim()));
    if (out.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`${name} must be a comma list of positive integers, got '${v}'`);
    return out;
  }
}

// ---- statistics ------------------------------------------------------------------------

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). With few samples p99 is the maximum. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1]!;
}

export const max = (xs: readonly number[]): number => (xs.length ? Math.max(...xs) : NaN);
export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

export function fmt(n: number | undefined | null, digits = 2): string {
  if (n === undefined || n === null || Number.isNaN(n)) return '—';
  return n.toFixed(digits);
}
export const ms = (n: number | undefined | null): string => fmt(n, n !== undefined && n !== null && Math.abs(n) < 10 ? 1 : 0);
export const mib = (bytes: number | undefined | null): string => (bytes ? `${(bytes / 1048576).toFixed(0)}` : '—');

// ---- output ----------------------------------------------------------------------------

export function table(title: string, header: string[], rows: (string | number)[][], note?: string): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\n${title}`);
  console.log(`  ${line(header)}`);
  console.log(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of cells.slice(1)) console.log(`  ${line(r)}`);
  if (note) console.log(`  ${note.split('\n').join('\n  ')}`);
}

/** Prints the final JSON line (`BENCH_JSON {...}`) and writes it to --json FILE when given. */
export function finish(name: string, flags: Flags, figures: Record<string, unknown>): void {
  const doc = { bench: name, at: new Date().toISOString(), host: hostInfo(), ...figures };
  const json = JSON.stringify(doc, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
  const file = flags.str('--json');
  if (file) {
    writeFileSync(file, `${json}\n`);
    console.log(`\nfigures written to ${file}`);
  }
  console.log(`\nBENCH_JSON ${json}`);
}

export function hostInfo(): Record<string, unknown> {
  let load: number[] = [];
  try {
    load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch { /* not Linux */ }
  let cpu = '';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch { /* not Linux */ }
  return { node: process.version, cpus: Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()) || null, cpu, loadavg: load };
}

/** Warns when the machine is busy: figures taken under load are not the product's figures. */
export function warnIfBusy(): void {
  const h = hostInfo();
  const load = (h.loadavg as number[])[0] ?? 0;
  const cpus = (h.cpus as number) || 1;
  console.log(`machine: ${h.cpu || 'unknown CPU'}, ${cpus} CPU(s), load average ${(h.loadavg as number[]).join(' ')}, node ${h.node}`);
  if (load > cpus * 0.5) {
    console.log(`WARNING: load average ${load} on ${cpus} CPU(s): other work is competing; these figures are noisy. ` +
      'Take final figures on a quiet machine.');
  }
}

// ---- child processes -------------------------------------------------------------------

const pids = new Set<number>();
let hooked = false;

function killAllNow(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch { /* already gone */ }
  }
  pids.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping children`);
      killAllNow();
      process.exit(130);
    });
  }
}

/** Registers a child so it is killed by PID when this process exits, however it exits. */
export function track(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  hook();
  pids.add(pid);
  child.once('exit', () => pids.delete(pid));
}

/** Runs `main`, printing a clean error and exiting non-zero on failure; children die either way. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => {
      killAllNow();
      process.exit(0);
    },
    (err) => {
      console.error(`\nbenchmark failed: ${(err as Error)?.stack ?? err}`);
      killAllNow();
      process.exit(1);
    },
  );
}
