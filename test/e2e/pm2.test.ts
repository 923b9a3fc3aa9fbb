// `pm2 start ecosystem.config.js` runs the gateway (real model) and it serves speech; pm2
// waited for the gateway's `ready` message; `pm2 delete` then `pm2 kill` leave no gateway,
// engine or pm2 daemon process behind. pm2 runs from its CLI with PM2_HOME in a temporary
// folder, so nothing touches a real pm2 installation.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { decodeToPcm } from '../../harness/audio/index.js';
import { alive, freePort, modelsDir, repoRoot, sleep, speech, startTime } from '../support/gateway-process.js';

const pm2Bin = join(repoRoot, 'node_modules/pm2/bin/pm2');
const APP = `kokoro-gateway-test-${process.pid}`;

interface Pm2Proc {
  name: string;
  pid: number;
  pm2_env: { status: string; restart_time: number; exec_mode: string; treekill?: boolean; kill_timeout?: number };
}

describe('pm2 start ecosystem.config.js', { timeout: 420_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'kokoro-pm2-'));
  const tracked = new Map<number, number | null>(); // every pid we saw, with its start time
  const track = (pid: number | null | undefined) => {
    if (pid && !tracked.has(pid)) tracked.set(pid, startTime(pid));
  };
  const running = (pid: number) => alive(pid) && startTime(pid) === tracked.get(pid);
  let port = 0;

  const pm2 = (args: string[], timeoutMs = 60_000, extraEnv: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [pm2Bin, ...args], {
        cwd: repoRoot,
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        env: { ...process.env, PM2_HOME: home, ...extraEnv },
        maxBuffer: 8 << 20,
      }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });

  const daemonPid = (): number | null => {
    try {
      return Number(readFileSync(join(home, 'pm2.pid'), 'utf8').trim()) || null;
    } catch {
      return null;
    }
  };

  after(async () => {
    // Whatever happened, take everything down: pm2's own way first, then by PID.
    await pm2(['kill'], 30_000);
    for (const pid of tracked.keys()) if (running(pid)) process.kill(pid, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }, { timeout: 60_000 });

  it('starts the gateway, which serves speech once pm2 reports it online', { timeout: 300_000 }, async () => {
    port = await freePort();
    const started = await pm2(['start', 'ecosystem.config.js'], 240_000, {
      PORT: String(port),
      HOST: '127.0.0.1',
      ENGINES: '1',
      KOKORO_MODELS_DIR: modelsDir,
      PM2_APP_NAME: APP,
      LOG_LEVEL: 'warn',
    });
    track(daemonPid());
    assert.equal(started.code, 0, `pm2 start failed:\n${started.stdout}\n${started.stderr}`);

    const list = JSON.parse((await pm2(['jlist'])).stdout) as Pm2Proc[];
    const app = list.find((p) => p.name === APP);
    assert.ok(app, `pm2 knows the app: ${list.map((p) => p.name)}`);
    track(app.pid);
    assert.equal(app.pm2_env.status, 'online');
    assert.equal(app.pm2_env.exec_mode, 'fork_mode');
    assert.equal(app.pm2_env.restart_time, 0, 'no crash during start-up');
    assert.equal(app.pm2_env.treekill, false);
    assert.ok((app.pm2_env.kill_timeout ?? 0) > 30_000, 'kill_timeout is longer than the default drain');

    // wait_ready: pm2 start returned only after the gateway said it had a ready engine.
    const ready = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(5000) });
    assert.equal(ready.status, 200);
    await ready.body?.cancel();

    const engines = (await (await fetch(`http://127.0.0.1:${port}/v1/engines`, { signal: AbortSignal.timeout(5000) })).json()) as { engines: { pid: number | null }[] };
    assert.equal(engines.engines.length, 1);
    for (const e of engines.engines) track(e.pid);

    const res = await speech(`http://127.0.0.1:${port}`, { input: 'Started by pm2.', response_format: 'wav' }, { timeoutMs: 120_000 });
    assert.equal(res.status, 200);
    const samples = await decodeToPcm(res.body, 'wav');
    assert.ok(samples.length > 24_000 / 2, `got ${samples.length} samples`);
  });

  it('pm2 delete and pm2 kill leave nothing running', { timeout: 120_000 }, async () => {
    assert.ok(tracked.size >= 3, 'the start test saw the daemon, the gateway and its engine');
    const del = await pm2(['delete', APP], 90_000);
    assert.equal(del.code, 0, `pm2 delete failed:\n${del.stdout}\n${del.stderr}`);
    const daemon = daemonPid();
    const others = [...tracked.keys()].filter((p) => p !== daemon);
    const deadline = Date.now() + 10_000;
    while (others.some(running) && Date.now() < deadline) await sleep(100);
    assert.deepEqual(others.filter(running), [], 'gateway and engine processes are gone after pm2 delete');

    const kill = await pm2(['kill'], 30_000);
    assert.equal(kill.code, 0, `pm2 kill failed:\n${kill.stdout}\n${kill.stderr}`);
    const deadline2 = Date.now() + 10_000;
    while ([...tracked.keys()].some(running) && Date.now() < deadline2) await sleep(100);
    assert.deepEqual([...tracked.keys()].filter(running), [], 'nothing survives pm2 kill');
  });
});
