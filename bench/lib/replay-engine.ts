// A stand-in engine for measuring the gateway alone: it speaks the engine protocol on
// loopback and answers every POST /synthesize with a frame stream recorded from a real
// engine, at once. With no inference in the path, the gateway's added latency is not buried
// under the first chunk's run-to-run noise.
import { createServer, type Server } from 'node:http';
import type { EngineHealth } from '../../protocol/engine-wire.js';

export interface ReplayEngine {
  origin: string;
  requests: number;
  close(): Promise<void>;
}

export async function startReplayEngine(frames: Buffer): Promise<ReplayEngine> {
  const started = Date.now();
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    req.resume();
    if (req.method === 'GET' && path === '/health') {
      const h: EngineHealth = {
        state: 'ready', pid: process.pid, model: 'replay', device: 'replay', threads: 0, runtime: 'replay',
        current: null, chunksDone: 0, activeRequests: 0, rssBytes: 0, uptimeSeconds: Math.round((Date.now() - started) / 1000),
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(h));
    } else if (req.method === 'GET' && path === '/voices') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"voices":[]}');
    } else if (req.method === 'POST' && path === '/synthesize') {
      req.once('end', () => {
        state.requests++;
        res.writeHead(200, { 'content-type': 'application/x-kokoro-frames' });
        res.end(frames);
      });
    } else {
      res.writeHead(404).end();
    }
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    get requests() { return state.requests; },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
