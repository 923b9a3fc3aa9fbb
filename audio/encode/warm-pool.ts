// A bounded set of ffmpeg children already started and blocked reading stdin, so a request
// does not wait for a spawn. Each child serves one request; the pool refills in the
// background, replaces children that die while idle, and backs off if they keep dying.
import { unlink } from 'node:fs/promises';
import type { FfmpegChild } from './ffmpeg-process.js';

export interface PoolStats {
  idle: number;
  spawning: number;
}

const MAX_BACKOFF_MS = 30_000;
const STABLE_MS = 10_000;

export class WarmPool {
  private readonly idle: FfmpegChild[] = [];
  private readonly starting = new Set<Promise<unknown>>();
  private closed = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly bornAt = new WeakMap<FfmpegChild, number>();

  constructor(
    readonly size: number,
    private readonly spawn: () => Promise<FfmpegChild>,
  ) {
    this.refill();
  }

  /** A live idle child, now owned by the caller, or undefined when none is ready. */
  take(): FfmpegChild | undefined {
    let child: FfmpegChild | undefined;
    while ((child = this.idle.shift())) {
      if (child.alive) break;
      discard(child);
    }
    if (child) this.failures = 0;
    this.refill();
    return child;
  }

  stats(): PoolStats {
    return { idle: this.idle.length, spawning: this.starting.size };
  }

  /** Kills every idle child (and those still starting); resolves once they are gone. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const idle = this.idle.splice(0);
    for (const child of idle) discard(child);
    await Promise.allSettled([...this.starting]);
    await Promise.all(idle.map((c) => c.exited));
  }

  private refill(): void {
    while (!this.closed && !this.retryTimer && this.idle.length + this.starting.size < this.size) {
      this.startOne();
    }
  }

  private startOne(): void {
    const started = this.spawn().then(
      (child) => {
        this.starting.delete(started);
        if (this.closed) return discard(child);
        this.idle.push(child);
        this.bornAt.set(child, Date.now());
        void child.exited.then(() => this.diedWhileIdle(child));
        this.refill();
      },
      () => {
        this.starting.delete(started);
        this.backOff();
      },
    );
    this.starting.add(started);
  }

  private diedWhileIdle(child: FfmpegChild): void {
    const i = this.idle.indexOf(child);
    if (i < 0) return; // taken by a request: its encoder reports the exit
    this.idle.splice(i, 1);
    discard(child);
    // A child that idled a long time before dying says nothing about the next one.
    if (Date.now() - (this.bornAt.get(child) ?? 0) > STABLE_MS) this.failures = 0;
    this.backOff();
  }

  /** First failure: replace at once; repeated failures: wait longer each time. */
  private backOff(): void {
    if (this.closed) return;
    this.failures++;
    if (this.failures <= 1) return this.refill();
    if (this.retryTimer) return;
    const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** this.failures);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.refill();
    }, delay);
    this.retryTimer.unref();
  }
}

/** Kills a child and, once it is gone (so it cannot recreate it), removes its file. */
export function discard(child: FfmpegChild): void {
  child.kill();
  const file = child.outputFile;
  if (file) void child.exited.then(() => unlink(file).catch(() => {}));
}
