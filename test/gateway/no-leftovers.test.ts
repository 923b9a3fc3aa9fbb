// Nothing a request creates outlives it. A batch of concurrent requests through the real
// pipeline, admission, chunk source, scheduler and supervisor (fake engines speaking /plan and
// /infer, pass-through encoders) ends in every way a request can end — done (streamed and whole
// file), client gone mid-stream, client gone while queued, engine connection cut (chunk re-run
// elsewhere), engine refusing the text, admission queue full — with the chunk cache on, so
// identical chunks share one synthesis (single flight). Afterwards every per-request structure
// must be empty: the scheduler's requests and in-flight keys, the supervisor's lease waiters and
// engine leases, admission's slots and queue, and no abort listener left on any request's signal.
// (bench:heap measures the same over thousands of requests through the gateway process.)
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import type { ServerResponse } from 'node:http';
import { encodeChunkStart, encodeError, type InferRequest } from '../../protocol/engine-wire.js';
import { ChunkCache } from '../../gateway/chunks/cache.js';
import { ChunkSource } from '../../gateway/chunks/source.js';
import type { Supervisor } from '../../gateway/engines/supervisor.js';
import { createMetrics } from '../../gateway/metrics.js';
import { AdmissionControl } from '../../gateway/speech/admission.js';
import { ClientGoneError, SpeechError } from '../../gateway/speech/errors.js';
import { runSpeechPipeline, type PipelineDeps } from '../../gateway/speech/pipeline.js';
import { loadGatewaySettings } from '../../settings/tree.js';
import { FakeEncoders } from '../http/fakes.js';
import { protocolEngine, superviseFakes, type ProtocolEngine } from './fake-engines.js';

const settings = loadGatewaySettings({
  ENGINES: '1', STALL_TIMEOUT_MS: '2000', ENGINE_WAIT_MS: '2000', MAX_ATTEMPTS: '3', HEALTH_INTERVAL_MS: '50',
  MAX_CONCURRENT: '4', QUEUE_SIZE: '3', QUEUE_WAIT_MS: '10000',
}, { detectedGpus: [] });

const engines: ProtocolEngine[] = [];
let sup: Supervisor | undefined;
let source: ChunkSource | undefined;
after(async () => {
  source?.scheduler.dispose();
  await sup?.stop();
  for (const e of engines) {
    e.server.closeAllConnections();
    e.server.close();
  }
});

/** The scheduler's and supervisor's private per-request state, read for this test only. */
function internals(src: ChunkSource, s: Supervisor) {
  const sched = src.scheduler as unknown as { requests?: unknown[]; inFlightByKey?: Map<string, unknown> };
  const supr = s as unknown as { waiters?: unknown[] };
  // If these fields are renamed, this test must follow: fail loudly rather than check nothing.
  assert.ok(Array.isArray(sched.requests), 'ChunkScheduler.requests (array of open requests) exists');
  assert.ok(sched.inFlightByKey instanceof Map, 'ChunkScheduler.inFlightByKey (single-flight map) exists');
  assert.ok(Array.isArray(supr.waiters), 'Supervisor.waiters (lease waiters) exists');
  return { requests: sched.requests.length, keys: sched.inFlightByKey.size, waiters: supr.waiters.length };
}

test('after requests end in every way, no per-request state is left', { timeout: 60_000 }, async () => {
  let infers = 0;
  const cutEvery = 5;
  const onInfer = (r: InferRequest, res: ServerResponse) => {
    // Request r6's own sentences (chunks 2-4, shared with nobody): the engine refuses them.
    if (r.requestId === 'r6' && r.chunks[0]!.index >= 2) {
      res.end(encodeError({ code: 'invalid_text', message: 'refused by the test engine' }));
      return true;
    }
    // Every 5th /infer (across both engines) breaks after its CHUNK frame: a re-run elsewhere.
    if (++infers % cutEvery !== 0) return false;
    res.write(encodeChunkStart(0, 1, 1));
    setTimeout(() => res.destroy(), 5);
    return true;
  };
  for (const id of ['a', 'b']) engines.push(await protocolEngine(id, { chunkMs: 15, onInfer }));
  sup = await superviseFakes(settings.supervision, engines, 2, 2);
  const metrics = createMetrics();
  const cache = new ChunkCache({ memoryBytes: 4 * 1024 * 1024, metrics });
  source = new ChunkSource({ engines: sup, config: settings.supervision, lookaheadChunks: 2, cache, log: () => {}, metrics });
  const admission = new AdmissionControl(settings.admission, metrics);
  const deps: PipelineDeps = { source, admission, encoders: new FakeEncoders(), encoderAttempts: 2 };

  const signals: AbortSignal[] = [];
  const outcomes: string[] = [];
  // Shared sentences across requests (single flight and cache hits), distinct ones too.
  const text = (i: number) => `Shared one. Shared two. Own ${i} a. Own ${i} b. Own ${i} c.`;
  const run = async (i: number) => {
    const ctl = new AbortController();
    signals.push(ctl.signal);
    const kind = i % 5;
    const sink = new PassThrough();
    let bytes = 0;
    sink.on('data', (b: Buffer) => {
      bytes += b.length;
      // Client gone mid-stream, after its first audio.
      if (kind === 2 && bytes > 0) ctl.abort();
    });
    // Client gone almost at once (often while still queued for a slot).
    if (kind === 3) setTimeout(() => ctl.abort(), 2);
    try {
      await runSpeechPipeline(deps, {
        job: { requestId: `r${i}`, text: text(i), voice: 'af_heart', speed: 1 },
        format: 'pcm',
        streaming: kind !== 4,
        signal: ctl.signal,
        sink: kind !== 4 ? sink : undefined,
      });
      outcomes.push('ok');
    } catch (e) {
      if (e instanceof ClientGoneError) outcomes.push('gone');
      else if (e instanceof SpeechError) outcomes.push(e.kind);
      else throw e;
    }
  };
  // 14 at once: more than MAX_CONCURRENT + QUEUE_SIZE (7), so some get 'busy'.
  await Promise.all(Array.from({ length: 14 }, (_, i) => run(i)));
  // A second wave, after the first is done: the cache now serves the shared sentences.
  await Promise.all(Array.from({ length: 6 }, (_, i) => run(100 + i)));

  const count = (k: string) => outcomes.filter((o) => o === k).length;
  assert.ok(count('ok') >= 5, `some requests completed: ${outcomes}`);
  assert.ok(count('gone') >= 2, `some clients left: ${outcomes}`);
  assert.ok(count('busy') >= 1, `admission refused some: ${outcomes}`);
  assert.ok(count('bad_request') === 1, `the refused request failed as a bad request: ${outcomes}`);
  assert.ok(infers >= cutEvery, 'at least one engine connection was cut mid-chunk');

  // Cancelled /infer calls end asynchronously (the engine sees the hang-up, the lease is returned).
  const until = Date.now() + 5000;
  while (Date.now() < until && (sup.rows().some((r) => r.inFlight > 0) || admission.inUse > 0)) await sleep(20);

  assert.deepEqual(internals(source, sup), { requests: 0, keys: 0, waiters: 0 });
  assert.deepEqual(sup.rows().map((r) => r.inFlight), [0, 0], 'every engine lease was returned');
  assert.equal(admission.inUse, 0, 'every admission slot was released');
  assert.equal(admission.waiting, 0, 'nobody is left in the admission queue');
  for (const [i, s] of signals.entries()) {
    assert.equal(getEventListeners(s, 'abort').length, 0, `request ${i}: no abort listener left on its signal`);
  }
});
