// Remote engines for supervisor and pool tests: HTTP servers that speak the real frame
// protocol on /synthesize and answer /health as a ready engine, run by a real Supervisor.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SynthesizeRequest } from '../../protocol/engine-wire.js';
import type { SupervisionConfig } from '../../gateway/engines/config.js';
import { Supervisor, type EngineLender, type Lease } from '../../gateway/engines/supervisor.js';

export type Behaviour = (req: SynthesizeRequest, res: ServerResponse) => void;

export interface FakeEngine {
  id: string;
  url: string;
  server: Server;
}

/** `healthy: false` answers /health with 503, so the engine never becomes ready. */
export async function fakeEngine(id: string, behaviour: Behaviour, seen: SynthesizeRequest[], healthy = true): Promise<FakeEngine> {
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      if (!healthy) return res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ state: 'ready', pid: 1, model: 'fake', device: 'cpu', threads: 1, runtime: 'fake', current: null, chunksDone: 0, activeRequests: 0, rssBytes: 0, uptimeSeconds: 1 }));
    }
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const parsed = JSON.parse(body) as SynthesizeRequest;
      seen.push(parsed);
      res.writeHead(200, { 'content-type': 'application/x-kokoro-frames' });
      behaviour(parsed, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { id, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A started Supervisor over remote fake engines; resolves once `ready` of them are ready. */
export async function superviseFakes(config: SupervisionConfig, engines: FakeEngine[], ready = engines.length): Promise<Supervisor> {
  const sup = new Supervisor({
    config: { ...config, slots: engines.map((e) => ({ id: e.id, kind: 'remote', device: 'cpu', threads: 1, url: e.url, maxInFlight: 4 })) },
    engineMain: '/nonexistent',
    engineEnv: {},
    log: () => {},
  });
  sup.start();
  while (sup.readyCount() < ready) await new Promise((r) => sup.once('change', r));
  return sup;
}

/** The supervisor's lender, recording which engines the pool reported hung (killed) or broken (ejected). */
export function spyLender(sup: Supervisor) {
  const spy = {
    killed: [] as string[],
    ejected: [] as string[],
    async acquire(signal: AbortSignal, opts: { avoid?: string; noEngineMs: number }): Promise<Lease | null> {
      const lease = await sup.acquire(signal, opts);
      if (!lease) return null;
      return {
        ...lease,
        failed(reason, fault) {
          if (fault === 'hung') spy.killed.push(lease.id);
          else if (fault === 'broken') spy.ejected.push(lease.id);
          lease.failed(reason, fault);
        },
      };
    },
  };
  return spy satisfies EngineLender;
}
