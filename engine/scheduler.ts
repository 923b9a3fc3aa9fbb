// Shares the one inference thread between the requests an engine holds: one chunk at a time,
// round-robin, so a short request is never stuck behind a long one, and a request whose
// client is not reading (backpressure) is skipped until it drains.
//
// A job's chunks carry their own index (the label in its frames): 0..n-1 for /synthesize,
// whatever the plan said for /infer. `next` is a position in the list, not an index.

export interface JobChunk {
  readonly index: number;
  /** Token ids, pads excluded. */
  readonly tokens: number[];
}

export interface ChunkJob {
  readonly id: string;
  /** The chunks to synthesize, in order. */
  readonly chunks: readonly JobChunk[];
  /** Position in `chunks` of the next one to synthesize. */
  next: number;
  paused: boolean;
  cancelled: boolean;
  /** `chunk`: the chunk's index (its label), `pos`: its position in `chunks`. */
  onStart(chunk: number, pos: number): void;
  onAudio(chunk: number, samples: Int16Array, pos: number): void;
  onError(err: unknown): void;
  onDone(): void;
}

export type RunChunk = (job: ChunkJob, chunk: JobChunk) => Promise<Int16Array>;

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
    const pos = job.next;
    const c = job.chunks[pos]!;
    const chunk = c.index;
    this.running = { job, chunk, tokens: c.tokens.length, startedAt: Date.now() };
    job.onStart(chunk, pos);
    this.runChunk(job, c).then(
      (samples) => {
        this.running = null;
        this.chunksDone++;
        if (!job.cancelled) {
          job.next = pos + 1;
          job.onAudio(chunk, samples, pos);
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
