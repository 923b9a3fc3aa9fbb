// Small process helpers for the tests, the stress suite and the benchmarks (never the serving
// path): a free loopback port, sleep, and process facts from /proc (Linux). Every PID check
// that matters pairs the PID with its start time, so a PID reused by someone else's process is
// never mistaken for ours.
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolvePort(port));
    });
  });
}

export interface ProcStat {
  pid: number;
  comm: string;
  /** One letter: R, S, D, T, Z, ... */
  state: string;
  ppid: number;
  /** Clock ticks since boot; with pid, identifies one process across pid reuse. */
  startTime: number;
  /** User + system CPU clock ticks used so far (a busy encoder has some, an idle one ~none). */
  cpuTicks: number;
}

/** /proc/<pid>/stat, parsed; undefined when the process is gone. */
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

/** Whether a process with this PID runs. A zombie (exited, not yet reaped) counts as gone. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  const st = readStat(pid);
  return st ? st.state !== 'Z' : true;
}

/** A process's start time (clock ticks since boot), to tell a PID from a later reuse of it. */
export function startTime(pid: number): number | null {
  return readStat(pid)?.startTime ?? null;
}

/** Same process still running (not a zombie, not a reused pid). */
export function stillRunning(p: Pick<ProcStat, 'pid' | 'startTime'>): boolean {
  const st = readStat(p.pid);
  return !!st && st.startTime === p.startTime && st.state !== 'Z';
}

/** Direct children of `ppid` from /proc, zombies included (filter on `state` to drop them). */
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

/** A field of /proc/<pid>/status in bytes (VmHWM = peak RSS, VmRSS = current). */
export function procStatusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Current resident memory of a process in bytes. */
export const rssBytes = (pid: number): number | undefined => procStatusBytes(pid, 'VmRSS');

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
