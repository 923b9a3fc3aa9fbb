// The bounded buffer between a streaming request's encoder and its HTTP response, so the
// engine and the encoder run at their own speed whatever the client does. A FIFO of bytes:
// up to `memoryBytes` in memory, the rest in a private spill file (spill-file.ts) that is
// reused from its start each time the reader catches up. write() always accepts; it returns
// false (and emits 'drain' later) only while writes to the spill file are behind, so the
// encoder waits for the disk, never for the client. take() hands out the oldest bytes, or null
// at the end.
import type { FileHandle } from 'node:fs/promises';
import { openSpillFile, writeAllAt, unflushedBound, type SpillConfig } from './spill-file.js';
import type { AudioSink } from './encoder-session.js';

const PIECE_BYTES = 64 * 1024;

export class DeliveryBuffer implements AudioSink {
  private readonly mem: Buffer[] = [];
  private memBytes = 0;
  private file: FileHandle | null = null;
  /** File region [readPos, writePos) not yet taken; writes complete up to `flushed`. */
  private readPos = 0;
  private writePos = 0;
  private flushed = 0;
  private chain: Promise<void> = Promise.resolve();
  private ended = false;
  private closed = false;
  private failure: Error | null = null;
  /** Given to end(): the reader gets it after the bytes already written (a cut, not a clean end). */
  private endError: Error | null = null;
  private wake: (() => void) | null = null;
  private drainListeners: (() => void)[] = [];
  /** Bytes written in all, and the most that were waiting at once (for tests and logs). */
  written = 0;
  peakPending = 0;
  /** Set once anything went to the spill file. */
  spilled = false;

  constructor(private readonly cfg: SpillConfig) {}

  /** Bytes written and not yet taken. */
  get pending(): number {
    return this.memBytes + (this.writePos - this.readPos);
  }

  get isEnded(): boolean {
    return this.ended;
  }

  write(buf: Buffer): boolean {
    if (this.closed || this.ended || buf.length === 0) return true;
    this.written += buf.length;
    // File bytes not yet taken are older than anything new: keep the order.
    if (this.writePos === this.readPos && this.memBytes + buf.length <= this.cfg.memoryBytes) {
      this.mem.push(buf);
      this.memBytes += buf.length;
    } else {
      this.spilled = true;
      const at = this.writePos;
      this.writePos += buf.length;
      this.chain = this.chain.then(async () => {
        if (this.failure || this.closed) return;
        try {
          this.file ??= await openSpillFile(this.cfg.dir());
          await writeAllAt(this.file, buf, at);
          this.flushed = at + buf.length;
        } catch (e) {
          this.failure ??= e as Error;
        }
        this.notify();
        this.emitDrainIfFlushed();
      });
    }
    this.peakPending = Math.max(this.peakPending, this.pending);
    this.notify();
    return this.writePos - this.flushed <= unflushedBound(this.cfg);
  }

  /** 'drain': the spill file's writes caught up (after a write() that returned false). */
  once(_event: 'drain', listener: () => void): this {
    this.drainListeners.push(listener);
    this.emitDrainIfFlushed();
    return this;
  }

  private emitDrainIfFlushed(): void {
    if (this.writePos - this.flushed > unflushedBound(this.cfg) && !this.failure && !this.closed) return;
    for (const l of this.drainListeners.splice(0)) l();
  }

  /** No more bytes will come; with an error, take() throws it once the bytes before it were taken. */
  end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.endError = error ?? null;
    this.notify();
  }

  /** The oldest bytes not yet taken; null once ended and empty. Rejects if spilling failed or closed. */
  async take(): Promise<Buffer | null> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.closed) throw new Error('delivery buffer closed');
      const head = this.mem.shift();
      if (head) {
        this.memBytes -= head.length;
        return head;
      }
      if (this.readPos < this.writePos && this.readPos < this.flushed) return this.readFile();
      if (this.readPos === this.writePos && this.ended) {
        if (this.endError) throw this.endError;
        return null;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private async readFile(): Promise<Buffer> {
    const n = Math.min(PIECE_BYTES, this.flushed - this.readPos);
    const piece = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await this.file!.read(piece, got, n - got, this.readPos + got);
      if (bytesRead === 0) throw new Error('spill file ended early');
      got += bytesRead;
    }
    this.readPos += n;
    if (this.readPos === this.writePos) {
      // Caught up: the file starts over (and gives its disk space back) before the next spill.
      this.readPos = this.writePos = this.flushed = 0;
      this.chain = this.chain.then(() => this.file?.truncate(0)).catch((e: Error) => void (this.failure ??= e));
    }
    return piece;
  }

  /** Frees the memory and closes (so removes) the spill file; a pending take() rejects. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.mem.length = 0;
    this.memBytes = 0;
    this.notify();
    this.emitDrainIfFlushed();
    void this.chain.then(() => this.file?.close()).catch(() => {});
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
