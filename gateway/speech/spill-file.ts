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
 * The write side both spill buffers share: positioned writes queued in order on one chain, the
 * file opened at the first one, the first failure kept (later writes skipped, so a short file
 * can never pass as whole). `flushed`: the end of the last completed write.
 */
export class SpillWriter {
  flushed = 0;
  failure: Error | null = null;
  private file: FileHandle | null = null;
  private chain: Promise<void> = Promise.resolve();

  /** `stopped`: the owner was closed (queued writes are then skipped). */
  constructor(private readonly dir: () => string, private readonly stopped: () => boolean) {}

  /** Queues `buf` at offset `at`; `done` runs once it is written or has failed (not if skipped). */
  write(buf: Buffer, at: number, done: () => void): void {
    this.chain = this.chain.then(async () => {
      if (this.failure || this.stopped()) return;
      try {
        this.file ??= await openSpillFile(this.dir());
        await writeAllAt(this.file, buf, at);
        this.flushed = at + buf.length;
      } catch (e) {
        this.failure ??= e as Error;
      }
      done();
    });
  }

  /** Exactly `n` flushed bytes at `pos`, in a buffer of their own (whole samples for PCM). */
  async read(n: number, pos: number): Promise<Buffer> {
    if (!this.file) throw new Error('spill file is not open');
    const piece = Buffer.alloc(n); // not from the shared pool
    let got = 0;
    while (got < n) {
      const { bytesRead } = await this.file.read(piece, got, n - got, pos + got);
      if (bytesRead === 0) throw new Error('spill file ended early');
      got += bytesRead;
    }
    return piece;
  }

  /** Starts the file over (after the queued writes), giving its disk space back. */
  restart(): void {
    this.flushed = 0;
    this.chain = this.chain.then(() => this.file?.truncate(0)).catch((e: Error) => void (this.failure ??= e));
  }

  /** Resolves once every queued write is done. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Closes (so removes) the file after the queued writes. */
  close(): void {
    void this.chain.then(() => this.file?.close()).catch(() => {});
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
