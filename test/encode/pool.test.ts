// The warm pool: bounded, refilled in the background, dead idle children replaced, and the
// pooled child is the one a request gets.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createEncoderFactory } from '../../audio/encode/index.js';
import type { FfmpegChild } from '../../audio/encode/ffmpeg-process.js';
import { WarmPool } from '../../audio/encode/warm-pool.js';
import { collect, feed, ffmpegChildren, processAlive, sineSweep, waitFor } from './helpers.js';

/** A stand-in child whose death the test controls. */
function fakeChild(pid: number) {
  let die!: (err: Error | null) => void;
  let alive = true;
  const exited = new Promise<Error | null>((r) => (die = r));
  const child: FfmpegChild = {
    pid, stdin: undefined as never, stdout: undefined, outputFile: undefined, exited,
    get alive() { return alive; },
    kill: () => { alive = false; die(new Error('killed')); },
  };
  return child;
}

describe('WarmPool', () => {
  test('fills to its bound, never past it, and refills after each take', async () => {
    let spawned = 0;
    let maxSeen = 0;
    const pool = new WarmPool(2, async () => fakeChild(++spawned));
    const check = () => {
      const s = pool.stats();
      maxSeen = Math.max(maxSeen, s.idle + s.spawning);
    };
    check();
    await waitFor('pool full', () => (check(), pool.stats().idle === 2));
    const taken = [pool.take(), pool.take(), pool.take()];
    check();
    assert.deepEqual(taken.map((c) => c?.pid), [1, 2, undefined], 'the third take finds none ready');
    await waitFor('pool refilled', () => (check(), pool.stats().idle === 2));
    assert.equal(maxSeen, 2);
    assert.equal(spawned, 4);
    await pool.close();
    assert.deepEqual(pool.stats(), { idle: 0, spawning: 0 });
  });

  test('an idle child that dies is replaced; repeated deaths back off', async () => {
    const children: FfmpegChild[] = [];
    const pool = new WarmPool(1, async () => {
      const c = fakeChild(children.length + 1);
      children.push(c);
      return c;
    });
    await waitFor('first child', () => pool.stats().idle === 1);
    children[0].kill();
    await waitFor('replacement', () => pool.stats().idle === 1 && children.length === 2);
    children[1].kill();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(pool.stats(), { idle: 0, spawning: 0 }, 'a second death in a row waits before respawning');
    await waitFor('replacement after the back-off', () => pool.stats().idle === 1, 3000);
    assert.equal(pool.take()?.pid, 3);
    await pool.close();
  });

  test('size 0 spawns nothing', async () => {
    let spawned = 0;
    const pool = new WarmPool(0, async () => fakeChild(++spawned));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(spawned, 0);
    assert.equal(pool.take(), undefined);
    await pool.close();
  });
});

describe('encoder factory pool (real ffmpeg)', { timeout: 30_000 }, () => {
  const factory = createEncoderFactory({ poolSize: { mp3: 1, 'flac:file': 1, opus: 0, aac: 0, flac: 0, 'mp3:file': 0, 'opus:file': 0, 'aac:file': 0 } });
  after(() => factory.close());

  test('requests get the pooled child; a killed idle child is replaced; close() kills the rest', async () => {
    await waitFor('pool warm', () => factory.poolStats().mp3?.idle === 1 && factory.poolStats()['flac:file']?.idle === 1);
    assert.deepEqual(Object.keys(factory.poolStats()).sort(), ['flac:file', 'mp3']);
    const warm = ffmpegChildren();
    assert.equal(warm.length, 2, 'one idle ffmpeg per pooled key');

    // Kill both idle children: each must be replaced by a new process.
    for (const pid of warm) process.kill(pid, 'SIGKILL');
    await waitFor('replacements', () => {
      const now = ffmpegChildren();
      return now.length === 2 && now.every((p) => !warm.includes(p));
    });
    await waitFor('pool warm again', () => factory.poolStats().mp3?.idle === 1);
    const idle = ffmpegChildren();

    const encoder = await factory.create('mp3', { streaming: true });
    assert.ok(idle.includes(encoder.pid!), 'the request got an already running child');
    const out = collect(encoder);
    await feed(encoder, sineSweep(12000, 200, 400));
    assert.ok((await out).length > 0);
    await waitFor('the used child to exit', () => !processAlive(encoder.pid!));
    await waitFor('pool refilled', () => factory.poolStats().mp3?.idle === 1);
    assert.ok(factory.poolStats().mp3.idle + factory.poolStats().mp3.spawning <= 1);

    const before = ffmpegChildren();
    await factory.close();
    for (const pid of before) assert.ok(!processAlive(pid), `idle ffmpeg ${pid} survived close()`);
    assert.deepEqual(ffmpegChildren(), []);
  });
});
