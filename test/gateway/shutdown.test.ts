// An uncaught exception (or unhandled rejection) takes the SIGTERM path with exit code 70:
// stop accepting, let in-flight requests finish (up to DRAIN_MS), close the encoders, stop the
// engines, exit. The functions gateway/main.ts wires are exercised here with a real fastify
// app, fake encoders and supervisor, and a fake `process` (an EventEmitter), so nothing in
// production needs a test-only hook; a child process checks the same with the real `process`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { createShutdown, EXIT_CRASH, installCrashHandlers } from '../../gateway/shutdown.js';
import { REPO_ROOT } from '../../models/paths.js';

const quiet = { info() {}, warn() {} };

async function rig(drainMs: number) {
  const app = Fastify();
  app.get('/slow', async () => {
    await sleep(300);
    return { done: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const steps: string[] = [];
  let exited: (code: number) => void;
  const exitCode = new Promise<number>((r) => (exited = r));
  const shutdown = createShutdown({
    app,
    encoders: { close: async () => void steps.push('encoders closed') },
    supervisor: { stop: async () => void steps.push('engines stopped') },
    drainMs,
    log: quiet,
    exit: (code) => {
      steps.push(`exit ${code}`);
      exited(code);
    },
  });
  const proc = new EventEmitter();
  const lines: string[] = [];
  installCrashHandlers(proc, (l) => lines.push(l), (kind) => void shutdown(kind, EXIT_CRASH));
  return { app, base, steps, exitCode, proc, lines, shutdown };
}

test('an uncaught exception: stop accepting, drain the in-flight request, stop engines, exit 70', async () => {
  const r = await rig(5000);
  const inFlight = fetch(`${r.base}/slow`).then((res) => res.json());
  await sleep(50);
  r.proc.emit('uncaughtException', new Error('boom in a callback'));
  await sleep(20);
  await assert.rejects(fetch(`${r.base}/slow`), 'no new connection is accepted');
  assert.deepEqual(await inFlight, { done: true }, 'the request in flight finished');
  assert.equal(await r.exitCode, EXIT_CRASH);
  assert.deepEqual(r.steps, ['encoders closed', 'engines stopped', 'exit 70']);
  assert.match(r.lines.join(''), /"level":"error".*uncaught exception.*boom in a callback/);
});

test('an unhandled rejection does the same; a drain past DRAIN_MS cuts what is left', async () => {
  const r = await rig(50);
  const inFlight = fetch(`${r.base}/slow`);
  await sleep(30);
  r.proc.emit('unhandledRejection', new Error('lost promise'));
  await assert.rejects(inFlight, 'cut at the drain limit');
  assert.equal(await r.exitCode, EXIT_CRASH);
  assert.match(r.lines.join(''), /unhandled rejection.*lost promise/);
});

test('a crash during a SIGTERM drain still exits non-zero; the shutdown runs once', async () => {
  const r = await rig(5000);
  const first = r.shutdown('SIGTERM');
  r.proc.emit('uncaughtException', new Error('during drain'));
  await first;
  assert.equal(await r.exitCode, EXIT_CRASH);
  assert.deepEqual(r.steps, ['encoders closed', 'engines stopped', 'exit 70']);
});

test('with the real process: an exception thrown from a timer exits 70 after the drain', () => {
  const shutdownUrl = pathToFileURL(join(REPO_ROOT, 'dist/gateway/shutdown.js')).href;
  const script = `
    const { createShutdown, EXIT_CRASH, installCrashHandlers } = await import(${JSON.stringify(shutdownUrl)});
    const { createServer } = await import('node:http');
    const server = createServer((q, s) => s.end('ok'));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const app = { close: () => new Promise((r) => server.close(r)), server };
    const shutdown = createShutdown({
      app, drainMs: 1000, log: { info() {}, warn() {} }, exit: (c) => process.exit(c),
      encoders: { close: async () => console.log('encoders closed') },
      supervisor: { stop: async () => console.log('engines stopped') },
    });
    installCrashHandlers(process, (l) => process.stderr.write(l), (kind) => void shutdown(kind, EXIT_CRASH));
    setTimeout(() => { throw new Error('thrown from a timer'); }, 10);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 70, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['encoders closed', 'engines stopped']);
  assert.match(r.stderr, /uncaught exception.*thrown from a timer/);
});
