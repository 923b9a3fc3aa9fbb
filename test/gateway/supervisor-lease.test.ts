// The supervisor lends engines: least-loaded first, each lease released once, and a waiter
// served as soon as a lease comes back (no polling).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { loadSupervisionConfig } from '../../gateway/engines/config.js';
import type { Supervisor } from '../../gateway/engines/supervisor.js';
import { fakeEngine, superviseFakes, type FakeEngine } from './fake-engines.js';

const config = loadSupervisionConfig({ ENGINES: '1', ENGINE_WAIT_MS: '200', HEALTH_INTERVAL_MS: '60000' }, []);
const fakes: FakeEngine[] = [];
const supervisors: Supervisor[] = [];
after(async () => {
  await Promise.all(supervisors.map((s) => s.stop()));
  fakes.forEach((f) => f.server.close());
});

async function supervise(ids: string[]) {
  const engines = await Promise.all(ids.map((id) => fakeEngine(id, (_req, res) => res.end(), [])));
  fakes.push(...engines);
  const sup = await superviseFakes(config, engines);
  supervisors.push(sup);
  return sup;
}
const inFlight = (sup: Supervisor) => Object.fromEntries(sup.rows().map((r) => [r.id, r.inFlight]));

test('leases go to the least-loaded engine, avoid only as a last resort, and count in the rows', async () => {
  const sup = await supervise(['a', 'b']);
  const l1 = sup.lease()!;
  const l2 = sup.lease()!;
  assert.notEqual(l1.id, l2.id);
  assert.deepEqual(inFlight(sup), { a: 1, b: 1 });
  const l3 = sup.lease('a')!;
  assert.equal(l3.id, 'b');
  assert.equal(sup.origin('b'), l3.client.origin);
  assert.equal(sup.origin('nope'), null);
  for (const l of [l1, l2, l3]) l.release();
  assert.deepEqual(inFlight(sup), { a: 0, b: 0 });
});

test('release counts exactly once', async () => {
  const sup = await supervise(['a']);
  const l1 = sup.lease()!;
  const l2 = sup.lease()!;
  l1.release();
  l1.release();
  assert.deepEqual(inFlight(sup), { a: 1 });
  l2.release();
  assert.deepEqual(inFlight(sup), { a: 0 });
});

test('a waiter is served the moment a lease is released', async () => {
  const sup = await supervise(['a']);
  const held = [1, 2, 3, 4].map(() => sup.lease()!);
  assert.equal(sup.lease(), null, 'full');
  let served = false;
  const waiting = sup.acquire(new AbortController().signal, { noEngineMs: 10_000 }).then((l) => ((served = true), l));
  await new Promise((r) => setImmediate(r));
  assert.equal(served, false);
  held[0]!.release();
  // Only microtasks, no timers: a poll could not have run.
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(served, true);
  (await waiting)!.release();
  held.slice(1).forEach((l) => l.release());
});

test('a waiting acquire rejects with the signal reason when aborted, and takes nothing', async () => {
  const sup = await supervise(['a']);
  const held = [1, 2, 3, 4].map(() => sup.lease()!);
  const ac = new AbortController();
  const waiting = sup.acquire(ac.signal, { noEngineMs: 10_000 });
  ac.abort(new Error('client gone'));
  await assert.rejects(waiting, /client gone/);
  held.forEach((l) => l.release());
  assert.deepEqual(inFlight(sup), { a: 0 });
});

test('a failed lease reported broken ejects the engine until health checks pass', async () => {
  const sup = await supervise(['a']);
  const l = sup.lease()!;
  l.failed('reset', 'busy');
  assert.equal(sup.readyCount(), 1, 'busy leaves it be');
  l.failed('reset', 'broken');
  l.release();
  assert.equal(sup.rows()[0]!.state, 'unhealthy');
  assert.equal(sup.rows()[0]!.lastError, 'reset');
  assert.equal(sup.lease(), null);
});
