// Temp files are removed by their encoder; only a gateway killed outright leaves some.
// They are named kokoro-enc-<gateway pid>-*, so those of dead gateways can go at start-up.
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export const TEMP_PREFIX = 'kokoro-enc-';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes encoder temp files left by processes that no longer exist; returns how many. */
export function removeStaleTempFiles(dir: string): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const m = new RegExp(`^${TEMP_PREFIX}(\\d+)-`).exec(name);
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, name));
      removed++;
    } catch {
      // someone else removed it
    }
  }
  return removed;
}
