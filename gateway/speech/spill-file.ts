// A request's private spill file: made in the gateway's private temp folder (0700) with
// O_EXCL and mode 0600, then unlinked at once, so it never outlives the open handle: it is gone
// when the request ends (the handle closed) and when the process dies, however it dies.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export async function openSpillFile(dir: string): Promise<FileHandle> {
  const path = join(dir, `spill-${randomBytes(8).toString('hex')}`);
  const fh = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await unlink(path);
  } catch (e) {
    await fh.close().catch(() => {});
    throw e;
  }
  return fh;
}

/** Writes all of `buf` at `at` (a positioned write may take fewer bytes than asked). */
export async function writeAllAt(file: FileHandle, buf: Buffer, at: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await file.write(buf, off, buf.length - off, at + off);
    off += bytesWritten;
  }
}

/**
 * Bytes queued for the spill file but not yet written that a buffer accepts before it asks its
 * writer to wait (for the disk, never for the client): without it a producer faster than the
 * disk would pile its audio up in memory on the way to the file.
 */
export function unflushedBound(cfg: SpillConfig): number {
  return Math.max(cfg.memoryBytes, 1024 * 1024);
}

/** Where spill files go, and how much a request may hold in memory before it spills. */
export interface SpillConfig {
  /** Bytes held in memory per buffer before the rest goes to the spill file. */
  memoryBytes: number;
  /** The private folder (read per use: it is made again if a temp cleaner removed it). */
  dir: () => string;
}
