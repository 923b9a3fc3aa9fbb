import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkScheduler, type ChunkJob } from '../../engine/scheduler.js';

function job(id: string, chunks: number, log: string[], done: () => void): ChunkJob {
  return {
    id, chunks: Array.from({ length: chunks }, (_, index) => ({ index, tokens: [1, 2, 3] })), next: 0, paused: false, cancelled: false,
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

test('a job carries its own chunk indexes, run in the order given', async () => {
  const log: string[] = [];
  const ran: number[][] = [];
  const s = new ChunkScheduler(async (_j, c) => {
    ran.push(c.tokens);
    return new Int16Array(c.tokens.length);
  });
  const audio: Array<[number, number]> = [];
  await new Promise<void>((done) => {
    s.add({
      id: 'x', chunks: [{ index: 7, tokens: [1] }, { index: 3, tokens: [1, 2] }, { index: 7, tokens: [1, 2, 3] }], next: 0, paused: false, cancelled: false,
      onStart: (c, pos) => log.push(`${c}@${pos}`),
      onAudio: (c, samples) => audio.push([c, samples.length]),
      onError: (e) => assert.fail(String(e)),
      onDone: done,
    });
  });
  assert.deepEqual(log, ['7@0', '3@1', '7@2']);
  assert.deepEqual(audio, [[7, 1], [3, 2], [7, 3]]);
  assert.deepEqual(ran, [[1], [1, 2], [1, 2, 3]]);
});
