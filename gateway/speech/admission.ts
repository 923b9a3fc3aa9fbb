// Admission: per-format concurrency limits, a global limit, and a bounded FIFO queue with a
// maximum wait. Past the queue bound or the wait: a 'busy' SpeechError with a retry hint. A
// waiter whose client leaves is dropped. A freed slot goes to the oldest waiter whose format has room, so one
// saturated format never blocks the others.
import { SpeechError } from './errors.js';
import type { Admission, Release } from './types.js';
import type { GatewayMetrics } from '../metrics.js';
import type { AdmissionConfig } from '../engines/config.js';
import { type AudioFormat } from '../../audio/encode/types.js';

const busy = (message: string, retryAfterS: number) => new SpeechError('busy', message, { retryAfterS });

interface Waiter {
  format: AudioFormat;
  enqueuedAt: number;
  grant: (release: Release) => void;
  fail: (err: Error) => void;
}

export class AdmissionControl implements Admission {
  private active = 0;
  private readonly activeByFormat = new Map<AudioFormat, number>();
  private readonly queue: Waiter[] = [];

  constructor(private readonly limits: AdmissionConfig, private readonly metrics?: GatewayMetrics) {}

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  private hasRoom(format: AudioFormat): boolean {
    return this.active < this.limits.global && (this.activeByFormat.get(format) ?? 0) < this.limits.perFormat[format];
  }

  private take(format: AudioFormat): Release {
    this.active++;
    this.activeByFormat.set(format, (this.activeByFormat.get(format) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.activeByFormat.set(format, this.activeByFormat.get(format)! - 1);
      this.drain();
    };
  }

  private retryAfter(): number {
    // A rough guess a client can act on: the queue's maximum wait, at least one second.
    return Math.max(1, Math.ceil(this.limits.maxWaitMs / 1000));
  }

  acquire(format: AudioFormat, signal: AbortSignal): Promise<Release> {
    if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    // Waiters are re-checked synchronously on every release, so any still queued lack room:
    // a request whose format has room now does not need to wait behind them.
    if (this.hasRoom(format)) {
      this.metrics?.admissionQueueWait.observe({ format }, 0);
      return Promise.resolve(this.take(format));
    }
    if (this.queue.length >= this.limits.queueSize) {
      this.metrics?.admissionRejections.inc({ reason: 'queue_full' });
      return Promise.reject(busy('Too many requests are waiting; try again shortly.', this.retryAfter()));
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        format,
        enqueuedAt: Date.now(),
        grant: (release) => {
          cleanup();
          this.metrics?.admissionQueueWait.observe({ format }, (Date.now() - waiter.enqueuedAt) / 1000);
          resolve(release);
        },
        fail: (err) => {
          cleanup();
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.remove(waiter);
        this.metrics?.admissionRejections.inc({ reason: 'wait_timeout' });
        waiter.fail(busy('The server is busy; the request waited too long for a slot.', this.retryAfter()));
      }, this.limits.maxWaitMs);
      const onAbort = () => {
        this.remove(waiter);
        waiter.fail(signal.reason ?? new Error('aborted'));
      };
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.updateDepth();
    });
  }

  private remove(waiter: Waiter): void {
    const i = this.queue.indexOf(waiter);
    if (i >= 0) this.queue.splice(i, 1);
    this.updateDepth();
  }

  private drain(): void {
    for (let i = 0; i < this.queue.length && this.active < this.limits.global; ) {
      const w = this.queue[i]!;
      if (this.hasRoom(w.format)) {
        this.queue.splice(i, 1);
        w.grant(this.take(w.format));
      } else {
        i++;
      }
    }
    this.updateDepth();
  }

  private updateDepth(): void {
    if (!this.metrics) return;
    const depth = new Map<AudioFormat, number>();
    for (const w of this.queue) depth.set(w.format, (depth.get(w.format) ?? 0) + 1);
    this.metrics.admissionQueueDepth.reset();
    for (const [format, n] of depth) this.metrics.admissionQueueDepth.set({ format }, n);
  }
}
