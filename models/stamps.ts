// Remembers which files were already hashed, so a start does not re-read ~170 MB.
// A stamp is trusted only while the file's size, mtime and inode are unchanged and the
// expected hash is the same; anything else means hash again.
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Stats } from 'node:fs';
import { STAMP_FILE_NAME, stampTempFile } from './bookkeeping.js';

export interface Stamp {
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string;
}

type StampMap = Record<string, Stamp>;

export { STAMP_FILE_NAME };

/**
 * A directory we may write into. Permission bits that deny writing count as read-only even
 * for root, so a mirror marked read-only (like CI's ../shared/models) is never written to.
 */
export function isWritableDir(dir: string): boolean {
  try {
    const st = statSync(dir);
    if (!st.isDirectory() || (st.mode & 0o222) === 0) return false;
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where stamps for `dir` go: inside it when writable, else in the per-user cache. */
export function defaultStampFile(dir: string, cacheDir: string): string {
  if (isWritableDir(dir)) return join(dir, STAMP_FILE_NAME);
  const key = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  return join(cacheDir, 'verified', `${key}.json`);
}

export class StampStore {
  private stamps: StampMap = {};
  private dirty = false;

  /** `file` null: keep nothing between runs. */
  constructor(private readonly file: string | null) {
    if (!file) return;
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (parsed && typeof parsed === 'object') this.stamps = parsed as StampMap;
    } catch {
      // Missing or unreadable: start empty, every file gets hashed once.
    }
  }

  matches(name: string, st: Stats, sha256: string): boolean {
    const s = this.stamps[name];
    return !!s && s.sha256 === sha256 && s.size === st.size && s.mtimeMs === st.mtimeMs && s.ino === st.ino;
  }

  record(name: string, st: Stats, sha256: string): void {
    if (this.matches(name, st, sha256)) return;
    this.stamps[name] = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha256 };
    this.dirty = true;
  }

  forget(name: string): void {
    if (!(name in this.stamps)) return;
    delete this.stamps[name];
    this.dirty = true;
  }

  /** Writes only when something changed; a failure to write just costs a re-hash next time. */
  save(): void {
    if (!this.file || !this.dirty) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = stampTempFile(this.file);
      writeFileSync(tmp, JSON.stringify(this.stamps, null, 1));
      renameSync(tmp, this.file);
      this.dirty = false;
    } catch {
      // Read-only cache: fine.
    }
  }
}
