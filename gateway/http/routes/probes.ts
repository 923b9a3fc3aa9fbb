// Liveness, readiness and metrics: open without an API key, cheap, and never touching engines.
import type { FastifyInstance } from 'fastify';
import { unavailable } from '../api-error.js';
import type { GatewayMetrics } from '../../metrics.js';

export interface ProbeRouteOptions {
  ready: () => boolean;
  metrics: GatewayMetrics;
  readyRetryAfterSeconds: number;
}

export function probeRoutes(app: FastifyInstance, opts: ProbeRouteOptions): void {
  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async () => {
    if (!opts.ready()) throw unavailable('No speech engine is ready yet.', opts.readyRetryAfterSeconds);
    return { status: 'ready' };
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await opts.metrics.registry.metrics();
    return reply.type(opts.metrics.registry.contentType).send(text);
  });
}
