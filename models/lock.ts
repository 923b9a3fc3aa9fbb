// One fetcher per models dir at a time: two processes appending to the same `.part` would
// corrupt it. The lock is a file holding the owner's pid; a lock whose owner is gone is stale.
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCK_FILE_NAME } from './bookkeeping.js';

export { LOCK_FILE_NAME };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface DirLock {
  release(): Promise<void>;
}

/**
 * Takes the fetch lock of `dir`, waiting while another live process holds it.
 * Resolves null when the lock cannot be created at all (read-only dir): fetching then fails on its own.
 */
export async function lockModelsDir(dir: string, opts: { waitMs: number; onWait?: (pid: number) => void }): Promise<DirLock | null> {
  const path = join(dir, LOCK_FILE_NAME);
  const deadline = Date.now() + opts.waitMs;
  let told = false;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return { release: () => unlink(path).catch(() => undefined) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return null;
    }
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(owner) || owner <= 0) {
      // Being written right now, or left half-written by a crash: give it a moment first.
      const age = Date.now() - ((await stat(path).catch(() => null))?.mtimeMs ?? 0);
      if (age > 2000) await unlink(path).catch(() => undefined);
      else await sleep(100);
      continue;
    }
    if (!alive(owner)) {
      await unlink(path).catch(() => undefined); // its owner died
      continue;
    }
    if (Date.now() > deadline) throw new Error(`models dir ${dir} is locked by process ${owner} (${path})`);
    if (!told) opts.onWait?.(owner);
    told = true;
    await sleep(250);
  }
}
