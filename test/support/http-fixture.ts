// A loopback HTTP file server for download tests: honours `Range: bytes=N-` unless told not
// to, and can answer with an error status or stall mid-body. It records every request.
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileRoute {
  body: Buffer;
  /** Answer 200 with the whole body even when a Range is asked for. */
  ignoreRange?: boolean;
  /** Answer this status with an empty body instead. */
  status?: number;
  /** Send this many bytes of the body, then keep the connection open and silent. */
  stallAfter?: number;
}

export interface RecordedRequest {
  path: string;
  range: string | undefined;
}

export interface FileServer {
  /** Base URL, e.g. http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  routes: Map<string, FileRoute>;
  requests: RecordedRequest[];
  /** Body bytes written to clients, over all requests. */
  bytesSent: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, route: FileRoute, start: number, partial: boolean, onBytes: (n: number) => void): void {
  const body = route.body.subarray(start);
  const headers: Record<string, string | number> = { 'content-length': body.length, 'accept-ranges': 'bytes' };
  if (partial) headers['content-range'] = `bytes ${start}-${route.body.length - 1}/${route.body.length}`;
  res.writeHead(partial ? 206 : 200, headers);
  if (route.stallAfter !== undefined) {
    const head = body.subarray(0, route.stallAfter);
    res.write(head);
    onBytes(head.length);
    return; // never ends: the client's idle timeout must notice
  }
  res.end(body);
  onBytes(body.length);
}

export async function startFileServer(routes: Record<string, FileRoute> = {}): Promise<FileServer> {
  const state = {
    routes: new Map(Object.entries(routes)),
    requests: [] as RecordedRequest[],
    bytesSent: 0,
  };
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const range = req.headers.range;
    state.requests.push({ path, range });
    const route = state.routes.get(path);
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    if (route.status !== undefined) {
      res.writeHead(route.status).end();
      return;
    }
    const m = range && !route.ignoreRange ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) {
      const start = Number(m[1]);
      if (start >= route.body.length) {
        res.writeHead(416, { 'content-range': `bytes */${route.body.length}` }).end();
        return;
      }
      send(res, route, start, true, (n) => (state.bytesSent += n));
      return;
    }
    send(res, route, 0, false, (n) => (state.bytesSent += n));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get routes() {
      return state.routes;
    },
    get requests() {
      return state.requests;
    },
    get bytesSent() {
      return state.bytesSent;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
