// The write side of a response (or a Wyoming connection): a client that accepts no byte for `stallMs` while bytes wait
// for it (a paused player, a phone without signal) is reported once through onStall; the route
// then disconnects it. Progress is what the socket took: bytesWritten minus what still sits in
// its write queue, so bytes merely queued in the gateway never count. Time spent waiting on
// synthesis (nothing waiting for the client) never counts against the client.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface StallWatchOptions {
  stallMs: number;
  /** Bytes wait for the client upstream of the socket (a buffer, a stream not yet read). */
  waiting: () => boolean;
  onStall: () => void;
}

function accepted(sock: Socket): number {
  const n = (sock.bytesWritten ?? 0) - sock.writableLength;
  return Number.isFinite(n) ? n : 0;
}

/** What is watched: a socket, the bytes queued above it, and when it closes. */
export interface StallTarget {
  socket(): Socket | null | undefined;
  /** Bytes queued for the socket above it (a response's own write queue). */
  queued(): number;
  onClose(fn: () => void): void;
}

/** Starts watching an HTTP response; returns stop(). Stops by itself when the response closes. */
export function watchClientStall(res: ServerResponse, o: StallWatchOptions): () => void {
  return watchStall({ socket: () => res.socket, queued: () => res.writableLength, onClose: (fn) => res.once('close', fn) }, o);
}

/** The same for any socket (the Wyoming server's connections). */
export function watchStall(t: StallTarget, o: StallWatchOptions): () => void {
  const tickMs = Math.max(10, Math.min(1000, Math.floor(o.stallMs / 5)));
  let last = -1;
  let since = Date.now();
  const timer = setInterval(() => {
    const sock = t.socket();
    if (!sock || sock.destroyed) return stop();
    const now = accepted(sock);
    const waiting = o.waiting() || t.queued() > 0 || sock.writableLength > 0;
    if (now !== last || !waiting) {
      last = now;
      since = Date.now();
      return;
    }
    if (Date.now() - since >= o.stallMs) {
      stop();
      o.onStall();
    }
  }, tickMs);
  timer.unref();
  const stop = () => clearInterval(timer);
  t.onClose(stop);
  return stop;
}
