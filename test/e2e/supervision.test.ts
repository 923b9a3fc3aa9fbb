// Supervision with the real model and two 1-thread CPU engines: engines are killed (SIGKILL,
// SIGSEGV), stopped (SIGSTOP) and all taken down while requests stream through the gateway.
// Every accepted request must finish with exactly the audio an unfaulted run gives; engines
// must come back and serve; /ready and the speech route must say 503 while none is ready.
// A request's chunks run on whichever engine is free (both, for a lone request), so a fault
// round kills an engine that has a chunk in flight; the chunk cache is off, since every round
// replays the same text and a cached request would never reach an engine.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { frameSamples } from '../../audio/encode/index.js';
import { decodeToPcm } from '../../harness/audio/index.js';
import { alive, sleep, speech, startGateway, type EngineRow, type GatewayProcess, type SpeechResult } from '../support/gateway-process.js';

// About 20 s of audio: a short first chunk and a few longer ones, so a fault after the first
// bytes lands in the middle of the request.
const LONG = 'The lighthouse keeper climbed the spiral stairs every evening. He polished the great lens, '
  + 'trimmed the wick, and watched the ships pass far out on the grey water. Some nights the fog rolled in '
  + 'so thick that he could not see his own hands. On those nights he rang the bell every minute until dawn. '
  + 'Nobody thanked him, and he did not expect it.';

const REQUEST_MS = 240_000;
const RESTART_MS = 240_000;

type Format = 'pcm' | 'mp3';

function rms(samples: Int16Array): number {
  let s = 0;
  for (const v of samples) s += v * v;
  return Math.sqrt(s / Math.max(1, samples.length));
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function assertSamePcm(got: Buffer, want: Buffer, what: string): void {
  assert.ok(got.equals(want), `${what}: pcm differs from the unfaulted run (got ${got.length} bytes, want ${want.length}; first difference at byte ${firstDifference(got, want)})`);
}

/** A promise with its resolve function, for "first bytes arrived" signals. */
function signalled(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((r) => (fire = r));
  return { promise, fire };
}

describe('supervision: engines crash, stall and vanish under live requests', { timeout: 1_500_000 }, () => {
  let gw: GatewayProcess | undefined;
  const stopped = new Set<number>(); // engine PIDs we SIGSTOPped: SIGCONT them in cleanup
  const ref: Partial<Record<Format, Buffer>> = {};
  let refMp3Samples = 0;
  let restartedInRound1: { id: string; pid: number } | undefined;

  before(async () => {
    gw = await startGateway({
      env: {
        STALL_TIMEOUT_MS: '3000',
        // Both engines down must become a 503 quickly; a lone engine restart leaves the other.
        ENGINE_WAIT_MS: '2500',
        HEALTH_INTERVAL_MS: '500',
        CACHE_MB: '0',
        LOG_LEVEL: 'warn',
      },
    });
  }, { timeout: 300_000 });

  after(async () => {
    for (const pid of stopped) if (alive(pid)) process.kill(pid, 'SIGCONT');
    await gw?.stop(20_000);
  }, { timeout: 60_000 });

  const engines = () => gw!.engines();
  const busy = (rows: EngineRow[]) => rows.filter((e) => e.inFlight > 0);

  it('unfaulted reference: long pcm and mp3 streams', { timeout: REQUEST_MS }, async () => {
    const [pcm, mp3] = await Promise.all([
      speech(gw!.url, { input: LONG, response_format: 'pcm' }, { timeoutMs: REQUEST_MS }),
      speech(gw!.url, { input: LONG, response_format: 'mp3' }, { timeoutMs: REQUEST_MS }),
    ]);
    assert.equal(pcm.status, 200);
    assert.equal(mp3.status, 200);
    ref.pcm = pcm.body;
    ref.mp3 = mp3.body;
    const pcmSamples = await decodeToPcm(pcm.body, 'pcm');
    assert.ok(pcmSamples.length > 24_000 * 10, `expected a long request, got ${pcmSamples.length / 24_000} s`);
    assert.ok(rms(pcmSamples) > 300, 'reference pcm is not silent');
    const mp3Samples = await decodeToPcm(mp3.body, 'mp3');
    refMp3Samples = mp3Samples.length;
    assert.ok(Math.abs(refMp3Samples - pcmSamples.length) < 24_000 / 2, `mp3 (${refMp3Samples}) and pcm (${pcmSamples.length}) durations agree`);
  });

  /** Chunks done by the engine process now in slot `id` (its own /health, through the gateway's debug proxy). */
  async function chunksDone(id: string): Promise<number> {
    const res = await fetch(`${gw!.url}/v1/engines/${id}/health`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200, `health of ${id}`);
    return ((await res.json()) as { chunksDone: number }).chunksDone;
  }

  /** An engine with work in flight, polled until one shows (a chunk runs for a second or more). */
  async function busyEngine(): Promise<EngineRow> {
    for (let i = 0; i < 200; i++) {
      const row = busy(await engines()).find((e) => e.pid !== null);
      if (row) return row;
      await sleep(25);
    }
    assert.fail(`no engine had work in flight: ${JSON.stringify(await engines())}`);
  }

  /**
   * Starts `order[0]`, then `order[1]` once the first bytes of the first arrived, and sends
   * `sig` to an engine with a chunk in flight once both are streaming.
   */
  async function faultRound(sig: NodeJS.Signals, order: [Format, Format]) {
    assert.ok(ref.pcm && ref.mp3, 'the reference run must have passed');
    const g = gw!;
    const rowsBefore = await g.waitEngines((rows) => rows.every((e) => e.state === 'ready'), RESTART_MS, 'both engines ready');
    const retriesBefore = await g.metric('kokoro_speech_retries_total');
    const first = { pcm: signalled(), mp3: signalled() };
    const results: Partial<Record<Format, Promise<SpeechResult>>> = {};
    const start = (f: Format) => {
      const p = speech(g.url, { input: LONG, response_format: f }, { timeoutMs: REQUEST_MS, onFirstBytes: first[f].fire });
      p.catch(() => {});
      results[f] = p;
      // A request that fails before its first byte must fail the round, not hang it.
      return Promise.race([first[f].promise, p.then(() => { throw new Error(`${f} finished before its first bytes were seen`); })]);
    };

    await start(order[0]);
    await start(order[1]);
    const target = await busyEngine();
    assert.ok(target.pid, `an engine with work in flight: ${JSON.stringify(target)}`);
    process.kill(target.pid, sig);

    const done = { pcm: await results.pcm!, mp3: await results.mp3! };
    for (const f of ['pcm', 'mp3'] as const) assert.equal(done[f].status, 200, `${f} status`);
    assertSamePcm(done.pcm.body, ref.pcm, `${sig} round`);
    const mp3 = await decodeToPcm(done.mp3.body, 'mp3'); // throws on a damaged or cut stream
    assert.ok(Math.abs(mp3.length - refMp3Samples) <= frameSamples('mp3'),
      `mp3 decoded to ${mp3.length} samples, the unfaulted run to ${refMp3Samples}`);
    assert.ok(rms(mp3) > 300, 'mp3 is not silent');

    // The engine comes back: a new process in the same slot, one restart more, ready.
    const slot = target.id;
    const back = await g.waitEngines(
      (r) => r.some((e) => e.id === slot && e.state === 'ready' && e.pid !== null && e.pid !== target.pid),
      RESTART_MS, `${slot} to restart`,
    );
    const row = back.find((e) => e.id === slot)!;
    assert.ok(row.restarts >= target.restarts + 1, `restarts went from ${target.restarts} to ${row.restarts}`);
    assert.ok(!alive(target.pid), 'the killed engine is gone');
    assert.ok(await g.metric('kokoro_engine_restarts_total', { engine: slot }) >= row.restarts, 'restart metric counts the restart');
    assert.ok(await g.metric('kokoro_speech_retries_total') >= retriesBefore + 1, 'the faulted request was resumed (retry metric moved)');
    const before = rowsBefore.find((e) => e.id === slot)!;
    return { slot, oldPid: target.pid, newPid: row.pid!, lastExit: row.lastExit, before };
  }

  it('SIGKILL an engine under a long pcm stream (mp3 streaming beside it): both complete, identical audio', { timeout: REQUEST_MS + RESTART_MS }, async () => {
    const r = await faultRound('SIGKILL', ['pcm', 'mp3']);
    assert.equal(r.lastExit, 'SIGKILL');
    restartedInRound1 = { id: r.slot, pid: r.newPid };
  });

  it('SIGSEGV an engine under a long mp3 stream: both complete, and the engine restarted after SIGKILL serves again', { timeout: REQUEST_MS + RESTART_MS }, async () => {
    assert.ok(restartedInRound1, 'the SIGKILL round must have passed');
    const rows = await engines();
    const restarted = rows.find((e) => e.id === restartedInRound1!.id)!;
    // Still the process that came back after SIGKILL (this round may kill it or its neighbour).
    assert.equal(restarted.pid, restartedInRound1.pid, 'the restarted engine is still the same process');
    const doneBefore = await chunksDone(restarted.id);
    const r = await faultRound('SIGSEGV', ['mp3', 'pcm']);
    assert.equal(r.lastExit, 'SIGSEGV');
    // If this round killed the restarted engine itself, it served up to its death: it had a chunk in flight.
    if (r.oldPid !== restartedInRound1.pid) {
      assert.ok(await chunksDone(restarted.id) > doneBefore, `the engine restarted after SIGKILL (pid ${restartedInRound1.pid}) synthesized chunks in this round`);
    }
  });

  it('SIGSTOP an engine mid-chunk: the stall watchdog kills it and the request completes elsewhere', { timeout: REQUEST_MS + RESTART_MS }, async () => {
    assert.ok(ref.pcm);
    const g = gw!;
    await g.waitEngines((rows) => rows.every((e) => e.state === 'ready'), RESTART_MS, 'both engines ready');
    const retriesBefore = await g.metric('kokoro_speech_retries_total');
    const first = signalled();
    const p = speech(g.url, { input: LONG, response_format: 'pcm' }, { timeoutMs: REQUEST_MS, onFirstBytes: first.fire });
    p.catch(() => {});
    await Promise.race([first.promise, p.then(() => { throw new Error('finished before its first bytes were seen'); })]);
    const target = await busyEngine();
    assert.ok(target.pid, `an engine is serving: ${JSON.stringify(target)}`);
    process.kill(target.pid, 'SIGSTOP');
    stopped.add(target.pid);

    const res = await p;
    assert.equal(res.status, 200);
    assertSamePcm(res.body, ref.pcm, 'SIGSTOP round');
    // The watchdog (stream stall or missed health checks) SIGKILLed the stopped process.
    const back = await g.waitEngines(
      (r) => r.some((e) => e.id === target.id && e.pid !== target.pid && e.state === 'ready'),
      RESTART_MS, `${target.id} to be killed and restarted`,
    );
    const row = back.find((e) => e.id === target.id)!;
    assert.equal(row.lastExit, 'SIGKILL', 'the watchdog killed it');
    assert.ok(row.restarts >= target.restarts + 1);
    assert.ok(!alive(target.pid), 'the stopped engine is gone');
    stopped.delete(target.pid);
    assert.ok(await g.metric('kokoro_speech_retries_total') >= retriesBefore + 1, 'the request was resumed');
  });

  it('both engines down: 503 with Retry-After on speech and /ready, then 200 after they restart', { timeout: RESTART_MS + 60_000 }, async () => {
    const g = gw!;
    const rows = await g.waitEngines((r) => r.every((e) => e.state === 'ready'), RESTART_MS, 'both engines ready');
    for (const e of rows) process.kill(e.pid!, 'SIGKILL');

    // The supervisor sees the exits at once; the restarted engines need seconds to load.
    let ready: Response | undefined;
    for (let i = 0; i < 40; i++) {
      ready = await fetch(`${g.url}/ready`, { signal: AbortSignal.timeout(5000) });
      if (ready.status === 503) break;
      await ready.body?.cancel();
      await sleep(50);
    }
    assert.equal(ready!.status, 503, '/ready with no engine ready');
    assert.match(ready!.headers.get('retry-after') ?? '', /^\d+$/);
    await ready!.body?.cancel();

    const res = await fetch(`${g.url}/v1/audio/speech`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tts-1', voice: 'af_heart', input: 'Is anyone there?', response_format: 'mp3' }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = await res.json() as { error?: { message?: string; type?: string; code?: string | null; param?: unknown } };
    assert.equal(res.status, 503, `speech with no engine: ${JSON.stringify(body)}`);
    assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.equal(typeof body.error?.message, 'string');
    assert.equal(body.error?.type, 'server_error');
    assert.ok('param' in body.error! && 'code' in body.error!, 'OpenAI error shape');

    await g.waitEngines((r) => r.every((e) => e.state === 'ready' && !rows.some((o) => o.pid === e.pid)), RESTART_MS, 'both engines back');
    const again = await fetch(`${g.url}/ready`, { signal: AbortSignal.timeout(5000) });
    assert.equal(again.status, 200);
    await again.body?.cancel();
    const ok = await speech(g.url, { input: 'We are back.', response_format: 'wav' }, { timeoutMs: REQUEST_MS });
    assert.equal(ok.status, 200);
    const samples = await decodeToPcm(ok.body, 'wav');
    assert.ok(samples.length > 24_000 / 2 && rms(samples) > 300, 'speech works again');
  });

  it('SIGTERM: the gateway exits 0 and no engine process survives it', { timeout: 60_000 }, async () => {
    const g = gw!;
    const pids = (await g.engines()).map((e) => e.pid).filter((p): p is number => p !== null);
    assert.equal(pids.length, 2);
    const r = await g.stop(30_000);
    assert.equal(r.forced, false, 'stopped without SIGKILL');
    assert.equal(r.code, 0);
    assert.deepEqual(r.survivors, [], 'engine processes outlived the gateway');
    for (const pid of pids) assert.ok(!alive(pid));
  });
});
