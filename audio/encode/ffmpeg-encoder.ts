// One request's encoder over one ffmpeg child. The output ends only after ffmpeg exited with
// code 0 and every byte was read; anything else (crash, signal, bad exit, early exit) is an
// error on the output, so a truncated file never looks complete.
import { open, unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FfmpegChild } from './ffmpeg-process.js';
import { discard } from './warm-pool.js';
import { samplesAsBytes } from './pcm-bytes.js';
import { type AudioFormat, type Encoder } from './types.js';

export class FfmpegEncoder implements Encoder {
  readonly output: Readable;
  private source: Readable | undefined;
  private failure: Error | undefined;
  private inputEnded = false;
  private closed = false;
  private readonly pendingWrites = new Set<(err: Error) => void>();

  constructor(
    readonly format: AudioFormat,
    private readonly child: FfmpegChild,
  ) {
    this.output = new Readable({ read: () => this.source?.resume() });
    // A consumer that stopped listening must not turn an encoder death into a crash of the
    // gateway; consumers that listen (pipeline, for await) still get the error.
    this.output.on('error', () => {});
    if (child.stdout) this.forward(child.stdout, () => this.streamDrained());
    void child.exited.then((err) => this.onExit(err));
  }

  get pid(): number {
    return this.child.pid;
  }

  write(samples: Int16Array): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.inputEnded || this.closed) return Promise.reject(new Error('encoder input is closed'));
    return new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        this.pendingWrites.delete(fail);
        reject(err);
      };
      this.pendingWrites.add(fail);
      this.child.stdin.write(samplesAsBytes(samples), (err) => {
        if (!this.pendingWrites.delete(fail)) return;
        if (err) reject(this.failure ?? new Error(`encoder input failed: ${err.message}`));
        else resolve();
      });
    });
  }

  end(): void {
    if (this.inputEnded || this.closed) return;
    this.inputEnded = true;
    this.child.stdin.end();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.source?.destroy();
    this.output.destroy();
    this.rejectWrites(new Error('encoder destroyed'));
    discard(this.child); // kills, then removes its file
  }

  /** Copies a source into output with backpressure; `done` runs at the source's end. */
  private forward(source: Readable, done: () => void): void {
    this.source = source;
    source.on('data', (chunk: Buffer) => {
      if (!this.output.push(chunk)) source.pause();
    });
    source.once('end', done);
    source.once('error', (err) => this.fail(err));
  }

  private stdoutDone = false;
  private exitedClean = false;

  private streamDrained(): void {
    this.stdoutDone = true;
    if (this.exitedClean) this.finish();
  }

  private onExit(err: Error | null): void {
    if (this.closed) return;
    if (err) return this.fail(err);
    if (!this.inputEnded) return this.fail(new Error('ffmpeg exited before the input ended'));
    this.exitedClean = true;
    if (this.child.outputFile) void this.sendFile(this.child.outputFile);
    else if (this.stdoutDone) this.finish();
  }

  /** Non-streaming: the finished file, unlinked as soon as it is open. */
  private async sendFile(path: string): Promise<void> {
    try {
      const handle = await open(path, 'r');
      await unlink(path);
      if (this.closed) return void (await handle.close());
      this.forward(handle.createReadStream(), () => this.finish());
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.output.push(null);
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.failure = err;
    this.source?.destroy();
    this.output.destroy(err);
    this.rejectWrites(err);
    discard(this.child); // kills, then removes its file
  }

  private rejectWrites(err: Error): void {
    for (const reject of [...this.pendingWrites]) reject(err);
  }
}
