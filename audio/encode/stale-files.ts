// Temp files are removed by their encoder, and each gateway's private folder at its exit; only a
// gateway killed outright leaves some. Folders (and the files of older versions) are named
// kokoro-enc-<gateway pid>-*, so those of dead gateways can go at start-up.
import { lstatSync, readdirSync, rmSync } from 'node:fs';
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

/**
 * Removes encoder temp files and folders left by processes that no longer exist (only our own);
 * returns how many. `prefix`: another family named the same way (`<prefix><pid>-*`).
 */
export function removeStaleTempFiles(dir: string, prefix: string = TEMP_PREFIX): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const m = new RegExp(`^${prefix}(\\d+)-`).exec(name);
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    try {
      const p = join(dir, name);
      // Someone else's entry (a shared /tmp): not ours to remove.
      if (lstatSync(p).uid !== process.getuid?.()) continue;
      rmSync(p, { recursive: true, force: true });
      removed++;
    } catch {
      // someone else removed it
    }
  }
  return removed;
}
