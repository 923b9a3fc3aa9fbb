// Shares the one inference thread between the requests an engine holds: one chunk at a time,
// round-robin, so a short request is never stuck behind a long one, and a request whose
// client is not reading (backpressure) is skipped until it drains.

export interface ChunkJob {
  readonly id: string;
  /** Token ids per chunk, pads excluded. */
  readonly chunks: number[][];
  /** Next chunk to synthesize. */
  next: number;
  paused: boolean;
  cancelled: boolean;
  onStart(chunk: number): void;
  onAudio(chunk: number, samples: Int16Array): void;
  onError(err: unknown): void;
  onDone(): void;
}

export type RunChunk = (job: ChunkJob, chunk: number) => Promise<Int16Array>;

export class ChunkScheduler {
  private readonly jobs: ChunkJob[] = [];
  private cursor = 0;
  private running: { job: ChunkJob; chunk: number; tokens: number; startedAt: number } | null = null;
  chunksDone = 0;

  constructor(private readonly runChunk: RunChunk) {}

  get current() {
    return this.running;
  }

  get size(): number {
    return this.jobs.length;
  }

  add(job: ChunkJob): void {
    if (job.next >= job.chunks.length) {
      job.onDone();
      return;
    }
    this.jobs.push(job);
    this.pump();
  }

  remove(job: ChunkJob): void {
    job.cancelled = true;
    const i = this.jobs.indexOf(job);
    if (i >= 0) {
      this.jobs.splice(i, 1);
      if (this.cursor > i) this.cursor--;
    }
  }

  /** Call when a paused job may continue. */
  pump(): void {
    if (this.running || this.jobs.length === 0) return;
    let job: ChunkJob | undefined;
    for (let n = 0; n < this.jobs.length; n++) {
      const i = (this.cursor + n) % this.jobs.length;
      const candidate = this.jobs[i]!;
      if (!candidate.paused) {
        job = candidate;
        // The cursor points just past the job that ran, so a job added since goes next.
        this.cursor = i + 1;
        break;
      }
    }
    if (!job) return;
    const chunk = job.next;
    this.running = { job, chunk, tokens: job.chunks[chunk]!.length, startedAt: Date.now() };
    job.onStart(chunk);
    this.runChunk(job, chunk).then(
      (samples) => {
        this.running = null;
        this.chunksDone++;
        if (!job.cancelled) {
          job.next = chunk + 1;
          job.onAudio(chunk, samples);
          if (job.next >= job.chunks.length) {
            this.remove(job);
            job.onDone();
          }
        }
        this.pump();
      },
      (err) => {
        this.running = null;
        if (!job.cancelled) {
          this.remove(job);
          job.onError(err);
        }
        this.pump();
      },
    );
  }
}
