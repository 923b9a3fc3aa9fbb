// Process facts from /proc (Linux): parents, names, memory. Every signal we send goes through
// signalChild, which first checks the target is still a child of the process we expect.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** Clock ticks since boot; with pid, identifies one process across pid reuse. */
  startTime: number;
  /** User + system CPU clock ticks used so far (a busy encoder has some, an idle one ~none). */
  cpuTicks: number;
}

export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0]!,
    ppid: Number(rest[1]),
    startTime: Number(rest[19]),
    cpuTicks: Number(rest[11]) + Number(rest[12]),
  };
}

export function childrenOf(ppid: number): ProcStat[] {
  const out: ProcStat[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (st && st.ppid === ppid) out.push(st);
  }
  return out;
}

/** Same process still running (not a zombie, not a reused pid). */
export function stillRunning(p: Pick<ProcStat, 'pid' | 'startTime'>): boolean {
  const st = readStat(p.pid);
  return !!st && st.startTime === p.startTime && st.state !== 'Z';
}

export function rssBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Sends signal only if pid is still a direct child of parent; returns whether it was sent. */
export function signalChild(pid: number, parent: number, signal: NodeJS.Signals): boolean {
  const st = readStat(pid);
  if (!st || st.ppid !== parent || st.state === 'Z') return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}
