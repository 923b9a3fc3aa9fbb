import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  encodeAudio, encodeChunkStart, encodeEnd, encodeError, encodeHeartbeat, encodePlan, encodePlanned, planDigest, FrameDecoder, FrameKind, type Frame,
} from '../../protocol/engine-wire.js';

const stream = (): Buffer =>
  Buffer.concat([
    encodeChunkStart(0, 2, 17),
    encodeHeartbeat(),
    encodeAudio(0, Int16Array.from([1, -2, 32767, -32768])),
    encodeAudio(1, new Int16Array(0)),
    encodeEnd(2, 4, 33),
  ]);

test('frames survive any split of the byte stream', () => {
  const bytes = stream();
  for (const step of [1, 2, 3, 7, 64, bytes.length]) {
    const d = new FrameDecoder();
    const frames: Frame[] = [];
    for (let i = 0; i < bytes.length; i += step) frames.push(...d.push(bytes.subarray(i, i + step)));
    assert.equal(d.buffered, 0);
    assert.deepEqual(frames.map((f) => f.kind), [FrameKind.CHUNK, FrameKind.HEARTBEAT, FrameKind.AUDIO, FrameKind.AUDIO, FrameKind.END]);
    const audio = frames[2] as Extract<Frame, { kind: 1 }>;
    assert.equal(audio.chunk, 0);
    assert.deepEqual([...audio.samples], [1, -2, 32767, -32768]);
    assert.deepEqual(frames[0], { kind: FrameKind.CHUNK, chunk: 0, chunks: 2, tokens: 17 });
    assert.deepEqual(frames[4], { kind: FrameKind.END, chunks: 2, samples: 4, inputTokens: 33 });
  }
});

test('a frame is only returned once it arrived whole', () => {
  const bytes = encodeAudio(3, new Int16Array(100).fill(5));
  const d = new FrameDecoder();
  assert.deepEqual(d.push(bytes.subarray(0, bytes.length - 1)), []);
  assert.equal(d.buffered, bytes.length - 1);
  const [f] = d.push(bytes.subarray(bytes.length - 1));
  assert.equal(f?.kind, FrameKind.AUDIO);
});

test('error frames carry the engine error', () => {
  const [f] = new FrameDecoder().push(encodeError({ code: 'invalid_voice', message: 'unknown voice', param: 'voice' }));
  assert.deepEqual(f, { kind: FrameKind.ERROR, error: { code: 'invalid_voice', message: 'unknown voice', param: 'voice' } });
});

test('malformed frames are refused', () => {
  assert.throws(() => new FrameDecoder().push(Buffer.from([99, 0, 0, 0, 0])), /unknown frame kind/);
  const bad = encodeAudio(0, Int16Array.from([1, 2]));
  bad.writeUInt32LE(5, 9); // sample count disagrees with the payload length
  assert.throws(() => new FrameDecoder().push(bad), /length mismatch/);
  const huge = Buffer.from([FrameKind.AUDIO, 0xff, 0xff, 0xff, 0xff]);
  assert.throws(() => new FrameDecoder().push(huge), /too large/);
});

test('plan frames round-trip; the digest depends on every token and index', () => {
  const d = new FrameDecoder();
  const chunks = [{ index: 0, tokens: [50, 83, 156] }, { index: 1, tokens: [16, 4, 177, 0] }];
  const digest = planDigest(chunks);
  const bytes = Buffer.concat([
    encodePlan(0, chunks[0]!.tokens, 'Hello,'),
    encodePlan(1, chunks[1]!.tokens, 'wörld — again.'),
    encodePlanned(2, 7, digest),
  ]);
  const frames: Frame[] = [];
  for (let i = 0; i < bytes.length; i += 3) frames.push(...d.push(bytes.subarray(i, i + 3)));
  assert.deepEqual(frames, [
    { kind: FrameKind.PLAN, chunk: 0, tokens: [50, 83, 156], text: 'Hello,' },
    { kind: FrameKind.PLAN, chunk: 1, tokens: [16, 4, 177, 0], text: 'wörld — again.' },
    { kind: FrameKind.PLANNED, chunks: 2, inputTokens: 7, digest },
  ]);
  assert.match(digest, /^[0-9a-f]{64}$/);
  assert.notEqual(planDigest([{ index: 0, tokens: [50, 83, 156] }, { index: 1, tokens: [16, 4, 177, 1] }]), digest);
  assert.notEqual(planDigest([{ index: 0, tokens: [50, 83] }, { index: 1, tokens: [156, 16, 4, 177, 0] }]), digest, 'a moved boundary changes it');
  assert.equal(planDigest(chunks.map((c) => ({ ...c, tokens: [...c.tokens] }))), digest, 'same plan, same digest');
});
