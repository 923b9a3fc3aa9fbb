// Small loopback HTTP helpers (node:http, no pooling so an aborted stream never poisons a socket).
import http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  complete: boolean;
  error?: string;
  ttfbMs?: number;
}

export interface RawRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer | string;
  timeoutMs: number;
  /** Called per received body chunk; return 'abort' to drop the connection, or ms to pause. */
  onData?: (bytesSoFar: number, elapsedMs: number, status: number) => 'abort' | number | void;
}

/** Only loopback targets: the stress suite must never load someone else's host. */
export function assertLoopback(url: URL): void {
  const h = url.hostname.replace(/^\[|\]$/g, '');
  if (!(h === 'localhost' || h === '::1' || /^127\./.test(h))) {
    throw new Error(`refusing non-loopback target ${url.host}: the stress suite only drives 127.0.0.1 / ::1`);
  }
}

export function request(req: RawRequest): Promise<RawResponse & { abortedByClient: boolean }> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    let abortedByClient = false;
    const chunks: Buffer[] = [];
    let bytes = 0;
    let res: http.IncomingMessage | undefined;
    let ttfbMs: number | undefined;
    const finish = (complete: boolean, error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        status: res?.statusCode ?? 0,
        headers: res?.headers ?? {},
        body: Buffer.concat(chunks),
        complete,
        error,
        ttfbMs,
        abortedByClient,
      });
    };
    const r = http.request(
      {
        method: req.method,
        hostname: req.url.hostname.replace(/^\[|\]$/g, ''),
        port: req.url.port,
        path: req.url.pathname + req.url.search,
        headers: req.headers,
        agent: false,
      },
      (incoming) => {
        res = incoming;
        incoming.on('data', (b: Buffer) => {
          ttfbMs ??= performance.now() - started;
          chunks.push(b);
          bytes += b.length;
          const action = req.onData?.(bytes, performance.now() - started, incoming.statusCode ?? 0);
          if (action === 'abort') {
            abortedByClient = true;
            r.destroy();
            finish(false, 'aborted by client');
          } else if (typeof action === 'number' && action > 0) {
            incoming.pause();
            setTimeout(() => incoming.resume(), action);
          }
        });
        incoming.on('end', () => finish(incoming.complete));
        incoming.on('error', (e) => finish(false, e.message));
        incoming.on('close', () => finish(incoming.complete, incoming.complete ? undefined : 'connection closed early'));
      },
    );
    const timer = setTimeout(() => {
      r.destroy();
      finish(false, `timed out after ${req.timeoutMs} ms`);
    }, req.timeoutMs);
    r.on('error', (e) => finish(false, e.message));
    r.end(req.body);
  });
}

export async function getJson<T>(base: URL, path: string, timeoutMs = 5000): Promise<{ status: number; json?: T }> {
  const r = await request({ method: 'GET', url: new URL(path, base), timeoutMs });
  if (r.status !== 200) return { status: r.status };
  try {
    return { status: r.status, json: JSON.parse(r.body.toString('utf8')) as T };
  } catch {
    return { status: r.status };
  }
}

export async function getText(base: URL, path: string, timeoutMs = 5000): Promise<{ status: number; text: string }> {
  const r = await request({ method: 'GET', url: new URL(path, base), timeoutMs });
  return { status: r.status, text: r.body.toString('utf8') };
}
