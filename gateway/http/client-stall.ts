// The write side of a response: a client that accepts no byte for `stallMs` while bytes wait
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

/** Starts watching; returns stop(). Stops by itself when the response closes. */
export function watchClientStall(res: ServerResponse, o: StallWatchOptions): () => void {
  const tickMs = Math.max(10, Math.min(1000, Math.floor(o.stallMs / 5)));
  let last = -1;
  let since = Date.now();
  const timer = setInterval(() => {
    const sock = res.socket;
    if (!sock || sock.destroyed) return stop();
    const now = accepted(sock);
    const waiting = o.waiting() || res.writableLength > 0;
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
  res.once('close', stop);
  return stop;
}
