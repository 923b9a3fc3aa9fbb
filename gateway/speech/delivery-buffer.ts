// The bounded buffer between a streaming request's encoder and its HTTP response, so the
// engine and the encoder run at their own speed whatever the client does. A FIFO of bytes:
// up to `memoryBytes` in memory, the rest in a private spill file (spill-file.ts) that is
// reused from its start each time the reader catches up. write() always accepts; it returns
// false (and emits 'drain' later) only while writes to the spill file are behind, so the
// encoder waits for the disk, never for the client. take() hands out the oldest bytes, or null
// at the end.
import { SpillWriter, unflushedBound, type SpillConfig } from './spill-file.js';
import type { AudioSink } from './encoder-session.js';

const PIECE_BYTES = 64 * 1024;

export class DeliveryBuffer implements AudioSink {
  private readonly mem: Buffer[] = [];
  private memBytes = 0;
  /** File region [readPos, writePos) not yet taken; writes complete up to `spill.flushed`. */
  private readPos = 0;
  private writePos = 0;
  private readonly spill: SpillWriter;
  private ended = false;
  private closed = false;
  /** Given to end(): the reader gets it after the bytes already written (a cut, not a clean end). */
  private endError: Error | null = null;
  private wake: (() => void) | null = null;
  private drainListeners: (() => void)[] = [];
  /** Bytes written in all, and the most that were waiting at once (for tests and logs). */
  written = 0;
  peakPending = 0;
  /** Set once anything went to the spill file. */
  spilled = false;

  constructor(private readonly cfg: SpillConfig) {
    this.spill = new SpillWriter(cfg.dir, () => this.closed);
  }

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
      this.spill.write(buf, at, () => {
        this.notify();
        this.emitDrainIfFlushed();
      });
    }
    this.peakPending = Math.max(this.peakPending, this.pending);
    this.notify();
    return this.writePos - this.spill.flushed <= unflushedBound(this.cfg);
  }

  /** 'drain': the spill file's writes caught up (after a write() that returned false). */
  once(_event: 'drain', listener: () => void): this {
    this.drainListeners.push(listener);
    this.emitDrainIfFlushed();
    return this;
  }

  private emitDrainIfFlushed(): void {
    if (this.writePos - this.spill.flushed > unflushedBound(this.cfg) && !this.spill.failure && !this.closed) return;
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
      if (this.spill.failure) throw this.spill.failure;
      if (this.closed) throw new Error('delivery buffer closed');
      const head = this.mem.shift();
      if (head) {
        this.memBytes -= head.length;
        return head;
      }
      if (this.readPos < this.writePos && this.readPos < this.spill.flushed) return this.readFile();
      if (this.readPos === this.writePos && this.ended) {
        if (this.endError) throw this.endError;
        return null;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private async readFile(): Promise<Buffer> {
    const n = Math.min(PIECE_BYTES, this.spill.flushed - this.readPos);
    const piece = await this.spill.read(n, this.readPos);
    this.readPos += n;
    if (this.readPos === this.writePos) {
      // Caught up: the file starts over (and gives its disk space back) before the next spill.
      this.readPos = this.writePos = 0;
      this.spill.restart();
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
    this.spill.close();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
