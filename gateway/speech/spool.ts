// An append-only byte store that can be read from the start more than once: the first
// `memoryBytes` stay in memory, the rest go to a private spill file (spill-file.ts). It holds a
// whole file while it is made (stream:false) and the PCM kept to replay into a replacement
// encoder, so neither costs more memory than the bound, however long the audio.
// append() never blocks; file writes are queued in order (a false return asks the writer to
// await drained(): the disk is behind) and a failed one (disk full) fails every later read, so
// a short file can never pass as whole.
import { Readable } from 'node:stream';
import { SpillWriter, unflushedBound, type SpillConfig } from './spill-file.js';

const PIECE_BYTES = 256 * 1024; // even, so a PCM spool reads back whole samples

export class Spool {
  private readonly mem: Buffer[] = [];
  private memBytes = 0;
  /** Bytes appended in all (memory + file, file writes maybe still pending). */
  private total = 0;
  /** Bytes queued for the file; `spill.flushed` of them are written. */
  private fileBytes = 0;
  private readonly spill: SpillWriter;
  private closed = false;
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly cfg: SpillConfig) {
    this.spill = new SpillWriter(cfg.dir, () => this.closed);
  }

  /** File bytes queued and not yet written. */
  private get unflushed(): number {
    return this.fileBytes - this.spill.flushed;
  }

  /** Resolves once the queued file writes are within their bound (at once if they are). */
  drained(): Promise<void> {
    if (this.unflushed <= unflushedBound(this.cfg) || this.spill.failure || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private wakeDrained(): void {
    if (this.unflushed > unflushedBound(this.cfg) && !this.spill.failure && !this.closed) return;
    for (const w of this.drainWaiters.splice(0)) w();
  }

  get size(): number {
    return this.total;
  }

  /** True once anything went to the spill file. */
  get spilled(): boolean {
    return this.fileBytes > 0;
  }

  /** Adds bytes; false when the writer should await drained() before more (the disk is behind). */
  append(buf: Buffer): boolean {
    if (this.closed || buf.length === 0) return true; // freed: its request is over
    this.total += buf.length;
    // Once anything went to the file, everything after it must too (order).
    if (this.fileBytes === 0 && this.memBytes + buf.length <= this.cfg.memoryBytes) {
      this.mem.push(buf);
      this.memBytes += buf.length;
      return true;
    }
    const at = this.fileBytes;
    this.fileBytes += buf.length;
    this.spill.write(buf, at, () => this.wakeDrained());
    return this.unflushed <= unflushedBound(this.cfg);
  }

  /** Everything appended so far (and while reading), from the start, in pieces. */
  async *read(): AsyncGenerator<Buffer> {
    for (let i = 0; i < this.mem.length; i++) {
      if (this.closed) throw new Error('spool is closed');
      yield this.mem[i]!;
    }
    let pos = 0;
    while (pos < this.fileBytes) {
      if (pos >= this.spill.flushed) await this.spill.settled();
      if (this.spill.failure) throw this.spill.failure;
      if (this.closed) throw new Error('spool is closed');
      const n = Math.min(PIECE_BYTES, this.spill.flushed - pos);
      const piece = await this.spill.read(n, pos);
      pos += n;
      yield piece;
    }
  }

  /** Resolves once every queued file write is done; rejects if one failed. */
  async settled(): Promise<void> {
    await this.spill.settled();
    if (this.spill.failure) throw this.spill.failure;
  }

  /** A stream over read(), for sending. */
  stream(head?: Buffer): Readable {
    const self = this;
    return Readable.from((async function* () {
      if (head && head.length > 0) yield head;
      yield* self.read();
    })(), { objectMode: false });
  }

  /** Frees the memory and closes (so removes) the spill file. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.mem.length = 0;
    this.memBytes = 0;
    this.wakeDrained();
    this.spill.close();
  }
}
