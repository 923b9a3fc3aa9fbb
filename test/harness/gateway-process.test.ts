// The shared gateway helper (harness/gateway-process.ts) with a tiny generated model: it waits
// for readiness both ways (engines listed ready; GET /ready with the log in a file), reports the
// engines, and stop() ends the gateway and its engine, leaving no process behind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startGateway, type GatewayProcess } from '../../harness/gateway-process.js';
import { alive, childrenOf } from '../../harness/procs.js';
import { writeTinyKokoroModel } from '../support/tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'harness-gateway-'));
const modelFile = join(dir, 'tiny.onnx');
writeTinyKokoroModel(modelFile);
const env = { KOKORO_MODEL_FILE: modelFile, KOKORO_CACHE_DIR: join(dir, 'cache'), LOG_LEVEL: 'warn' };
const started: GatewayProcess[] = [];

after(async () => {
  for (const gw of started) if (!gw.exit) await gw.stop(5000);
  rmSync(dir, { recursive: true, force: true });
});

test('all engines ready, then stop(): exit 0, engine gone, nothing left', { timeout: 240_000 }, async () => {
  const gw = await startGateway({ engines: 1, env, readyTimeoutMs: 180_000 });
  started.push(gw);
  assert.equal(gw.url, `http://127.0.0.1:${gw.port}`);
  assert.equal(gw.enginesAtReady.length, 1);
  const engine = gw.enginesAtReady[0]!;
  assert.equal(engine.state, 'ready');
  assert.ok(engine.pid && alive(engine.pid), 'the engine runs');
  assert.ok(childrenOf(gw.pid).some((c) => c.pid === engine.pid), 'the engine is the gateway\'s child');
  assert.ok(gw.seenEnginePids.has(engine.pid!));
  assert.equal(gw.crashed(), false);

  const r = await gw.stop(20_000);
  assert.deepEqual({ code: r.code, forced: r.forced, survivors: r.survivors }, { code: 0, forced: false, survivors: [] });
  assert.ok(gw.exit, 'exit is recorded');
  assert.equal(gw.crashed(), false, 'a stop we asked for is not a crash');
  assert.ok(!alive(gw.pid), 'the gateway is gone');
  assert.ok(!alive(engine.pid!), 'its engine is gone');
});

test("readyWhen 'ready' with the log in a file", { timeout: 240_000 }, async () => {
  const logFile = join(dir, 'gateway.log');
  const gw = await startGateway({ engines: 1, env: { ...env, LOG_LEVEL: 'info' }, readyWhen: 'ready', readyTimeoutMs: 180_000, logFile: () => logFile });
  started.push(gw);
  assert.equal(gw.logFile, logFile);
  assert.equal((await fetch(`${gw.url}/ready`)).status, 200);
  const pids = (await gw.engines()).map((e) => e.pid);
  const r = await gw.stop(20_000);
  assert.equal(r.code, 0);
  assert.deepEqual(r.survivors, []);
  for (const pid of pids) if (pid) assert.ok(!alive(pid), `engine ${pid} is gone`);
  assert.ok(existsSync(logFile) && readFileSync(logFile, 'utf8').length > 0, 'the gateway wrote its log to the file');
  assert.ok(gw.logTail(5).length > 0, 'logTail reads the file');
});
