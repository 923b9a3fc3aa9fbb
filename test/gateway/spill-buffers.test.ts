// The two bounded buffers behind delivery: the FIFO between an encoder and its response
// (DeliveryBuffer) and the append-only spool for whole files and replay PCM (Spool). Both hold
// at most their memory bound and put the rest in an unlinked private file, in order.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DeliveryBuffer } from '../../gateway/speech/delivery-buffer.js';
import { Spool } from '../../gateway/speech/spool.js';

const dir = mkdtempSync(join(tmpdir(), 'spill-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Piece k: `n` bytes whose values depend on k, so a reordering shows. */
const piece = (k: number, n: number) => Buffer.alloc(n, (k * 37 + 11) % 251);

async function takeAll(b: DeliveryBuffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let p = await b.take(); p !== null; p = await b.take()) parts.push(p);
  return Buffer.concat(parts);
}

/** Spill files this process holds open (they are unlinked at once, so "(deleted)"). */
function openSpills(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return /\/spill-[0-9a-f]+ \(deleted\)$/.test(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false;
    }
  }).length;
}

describe('DeliveryBuffer', () => {
  it('keeps order across memory and the spill file, and never holds more than its bound in memory', async () => {
    const b = new DeliveryBuffer({ memoryBytes: 10_000, dir: () => dir });
    const want: Buffer[] = [];
    for (let k = 0; k < 50; k++) {
      const p = piece(k, 3000);
      want.push(p);
      assert.equal(b.write(p), true, 'write never pushes back');
    }
    assert.equal(b.pending, 150_000);
    assert.ok(b.spilled);
    assert.equal(readdirSync(dir).length, 0, 'the spill file is unlinked as soon as it is open');
    b.end();
    assert.deepEqual(await takeAll(b), Buffer.concat(want));
    assert.equal(b.pending, 0);
    b.close();
  });

  it('goes back to memory once the reader caught up, with writes and reads interleaved', async () => {
    const b = new DeliveryBuffer({ memoryBytes: 4096, dir: () => dir });
    const want: Buffer[] = [];
    const got: Buffer[] = [];
    for (let round = 0; round < 5; round++) {
      for (let k = 0; k < 6; k++) {
        const p = piece(round * 10 + k, 1500);
        want.push(p);
        b.write(p);
      }
      // Read a bit over half, then write more: file bytes still pending must come before new ones.
      let n = 0;
      while (n < 5000) {
        const p = (await b.take())!;
        got.push(p);
        n += p.length;
      }
    }
    b.end();
    got.push(await takeAll(b));
    assert.deepEqual(Buffer.concat(got), Buffer.concat(want));
    b.close();
  });

  it('end(error) hands over the bytes before it, then the error (a cut, not a clean end)', async () => {
    const b = new DeliveryBuffer({ memoryBytes: 100, dir: () => dir });
    b.write(piece(1, 80));
    b.write(piece(2, 80)); // spills
    b.end(new Error('engine gave up'));
    assert.deepEqual(await b.take(), piece(1, 80));
    assert.deepEqual(await b.take(), piece(2, 80));
    await assert.rejects(b.take(), /engine gave up/);
    b.close();
  });

  it('close() frees the memory, closes the spill file, and fails a waiting reader', async () => {
    await new Promise((r) => setTimeout(r, 50)); // earlier buffers' closes are asynchronous
    const before = openSpills();
    const b = new DeliveryBuffer({ memoryBytes: 10, dir: () => dir });
    b.write(piece(1, 100));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(openSpills(), before + 1);
    assert.deepEqual(await b.take(), piece(1, 100));
    const waiting = b.take();
    b.close();
    await assert.rejects(waiting, /closed/);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(openSpills(), before);
  });

  it('a spill that cannot be written fails the reader instead of passing a short stream', async () => {
    const b = new DeliveryBuffer({ memoryBytes: 10, dir: () => join(dir, 'missing') });
    b.write(piece(1, 5));
    b.write(piece(2, 100));
    b.end();
    assert.deepEqual(await b.take(), piece(1, 5));
    await assert.rejects(b.take(), /ENOENT/);
    b.close();
  });
});

describe('Spool', () => {
  it('reads everything back in order, from memory then the file, as often as asked', async () => {
    const s = new Spool({ memoryBytes: 5000, dir: () => dir });
    const want: Buffer[] = [];
    for (let k = 0; k < 40; k++) {
      const p = piece(k, 2000);
      want.push(p);
      s.append(p);
    }
    assert.equal(s.size, 80_000);
    assert.ok(s.spilled);
    for (let round = 0; round < 2; round++) {
      const parts: Buffer[] = [];
      for await (const p of s.read()) parts.push(p);
      assert.deepEqual(Buffer.concat(parts), Buffer.concat(want));
    }
    const streamed: Buffer[] = [];
    for await (const p of s.stream(Buffer.from('HEAD'))) streamed.push(p as Buffer);
    assert.deepEqual(Buffer.concat(streamed), Buffer.concat([Buffer.from('HEAD'), ...want]));
    s.close();
  });

  it('stays in memory below its bound (no file at all)', async () => {
    const before = openSpills();
    const s = new Spool({ memoryBytes: 1 << 20, dir: () => join(dir, 'never-used') });
    s.append(piece(1, 1000));
    await s.settled();
    assert.equal(s.spilled, false);
    assert.equal(openSpills(), before);
    s.close();
  });

  it('a failed spill write fails reads and settled()', async () => {
    const s = new Spool({ memoryBytes: 0, dir: () => join(dir, 'missing') });
    s.append(piece(1, 10));
    await assert.rejects(s.settled(), /ENOENT/);
    await assert.rejects((async () => {
      for await (const _ of s.read()) void _;
    })(), /ENOENT/);
    s.close();
  });
});
