import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkScheduler, type ChunkJob } from '../../engine/scheduler.js';

function job(id: string, chunks: number, log: string[], done: () => void): ChunkJob {
  return {
    id, chunks: Array.from({ length: chunks }, () => [1, 2, 3]), next: 0, paused: false, cancelled: false,
    onStart: (c) => log.push(`${id}${c}`),
    onAudio: () => {},
    onError: (e) => assert.fail(String(e)),
    onDone: done,
  };
}

test('requests share the inference thread one chunk at a time, round-robin', async () => {
  const log: string[] = [];
  const s = new ChunkScheduler(async () => new Int16Array(1));
  let left = 2;
  const finished = new Promise<void>((r) => {
    const done = () => --left === 0 && r();
    s.add(job('a', 3, log, done));
    s.add(job('b', 2, log, done));
  });
  await finished;
  assert.deepEqual(log, ['a0', 'b0', 'a1', 'b1', 'a2']);
  assert.equal(s.chunksDone, 5);
  assert.equal(s.size, 0);
});

test('a paused request is skipped until pumped; a removed one stops at the chunk boundary', async () => {
  const log: string[] = [];
  const s = new ChunkScheduler(async () => new Int16Array(1));
  const a = job('a', 2, log, () => {});
  a.paused = true;
  let bDone!: () => void;
  const b = new Promise<void>((r) => (bDone = r));
  s.add(a);
  s.add(job('b', 2, log, bDone));
  await b;
  assert.deepEqual(log, ['b0', 'b1']);
  a.paused = false;
  s.remove(a);
  s.pump();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, ['b0', 'b1'], 'a cancelled job never runs');
});

test('an inference error ends that request only', async () => {
  const s = new ChunkScheduler(async (j) => {
    if (j.id === 'bad') throw new Error('boom');
    return new Int16Array(1);
  });
  const errors: string[] = [];
  let goodDone!: () => void;
  const good = new Promise<void>((r) => (goodDone = r));
  const bad = job('bad', 2, [], () => assert.fail('bad must not finish'));
  bad.onError = (e) => errors.push((e as Error).message);
  s.add(bad);
  s.add(job('good', 2, [], goodDone));
  await good;
  assert.deepEqual(errors, ['boom']);
});
