// wav and pcm need no codec: the bytes are written here, in the gateway process.
// Streaming: bytes go out as they come (wav behind an open-ended header). Not streaming:
// everything is kept until end(), then sent at once behind a header with the real sizes, or,
// with deferHeader, the body goes out as it comes and header() gives the real header at the end
// (the gateway stores the body in its own bounded buffer, so no second copy is held here).
import { Readable } from 'node:stream';
import { copySamplesAsBytes } from './pcm-bytes.js';
import { wavHeader } from './wav-header.js';
import { type Encoder } from './types.js';

export class JsEncoder implements Encoder {
  readonly pid = undefined;
  readonly neverFails = true;
  private bodyBytes = 0;
  readonly output: Readable;
  private readonly held: Buffer[] = [];
  private heldBytes = 0;
  private closed = false;
  private waitingForRead: { resolve: () => void; reject: (err: Error) => void } | undefined;
  /** Streaming wav: the header goes out with the first audio, so no byte (and no HTTP 200)
   *  leaves before there is audio; a request that fails first still gets a clean error. */
  private headerPending: boolean;

  constructor(
    readonly format: 'wav' | 'pcm',
    private readonly streaming: boolean,
    private readonly deferHeader = false,
  ) {
    this.output = new Readable({ read: () => this.resumeWriter() });
    this.output.on('error', () => {}); // see FfmpegEncoder: never crash on an unheard error
    this.headerPending = streaming && format === 'wav';
  }

  private pushHeaderOnce(): void {
    if (!this.headerPending) return;
    this.headerPending = false;
    this.output.push(wavHeader());
  }

  write(samples: Int16Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error('encoder input is closed'));
    const bytes = copySamplesAsBytes(samples);
    this.bodyBytes += bytes.length;
    if (!this.streaming && !this.deferHeader) {
      this.held.push(bytes);
      this.heldBytes += bytes.length;
      return Promise.resolve();
    }
    this.pushHeaderOnce();
    if (this.output.push(bytes)) return Promise.resolve();
    // Backpressure: the chunk is queued; resolve once the reader asks for more.
    return new Promise((resolve, reject) => (this.waitingForRead = { resolve, reject }));
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.pushHeaderOnce();
    if (!this.streaming && !this.deferHeader) {
      if (this.format === 'wav') this.output.push(wavHeader(this.heldBytes));
      for (const b of this.held.splice(0)) this.output.push(b);
    }
    this.output.push(null);
    this.resumeWriter();
  }

  header(): Buffer {
    return !this.streaming && this.format === 'wav' ? wavHeader(this.bodyBytes) : Buffer.alloc(0);
  }

  destroy(): void {
    this.closed = true;
    this.held.length = 0;
    this.output.destroy();
    this.waitingForRead?.reject(new Error('encoder destroyed'));
    this.waitingForRead = undefined;
  }

  private resumeWriter(): void {
    const waiting = this.waitingForRead;
    this.waitingForRead = undefined;
    waiting?.resolve();
  }
}
