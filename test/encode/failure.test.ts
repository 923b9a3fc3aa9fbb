// An encoder whose ffmpeg dies must fail loudly (never a clean end for a truncated file),
// and destroy() must leave no process and no temp file behind.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createEncoderFactory } from '../../audio/encode/index.js';
import { collect, processAlive, sineSweep, waitFor } from './helpers.js';
import { type Encoder } from '../../audio/encode/types.js';

const dir = mkdtempSync(join(tmpdir(), 'enc-test-'));
const factory = createEncoderFactory({ poolSize: 0, tmpDir: dir });
const started: Encoder[] = [];
after(async () => {
  for (const e of started) e.destroy();
  await factory.close();
  rmSync(dir, { recursive: true, force: true });
});

async function create(format: 'mp3' | 'opus' | 'aac' | 'flac', streaming: boolean): Promise<Encoder> {
  const e = await factory.create(format, { streaming });
  started.push(e);
  return e;
}

const second = sineSweep(24000, 300, 600);

describe('encoder failure', { timeout: 30_000 }, () => {
  for (const [format, streaming, signal] of [
    ['mp3', true, 'SIGKILL'], ['opus', true, 'SIGSEGV'], ['aac', true, 'SIGKILL'], ['flac', false, 'SIGKILL'],
  ] as const) {
    test(`${format} ${streaming ? 'streaming' : 'whole file'}: ffmpeg killed by ${signal} mid-stream is an error`, async () => {
      const encoder = await create(format, streaming);
      const result = collect(encoder);
      await encoder.write(second);
      process.kill(encoder.pid!, signal);
      await assert.rejects(result, /ffmpeg/, 'output must error, not end');
      await assert.rejects(encoder.write(second), 'write after the death must reject');
      await waitFor('the child to be gone', () => !processAlive(encoder.pid!));
      await waitFor('its temp file to be removed', () => readdirSync(factory.tempDir).length === 0);
    });
  }

  test('a child that exits before end() is an error, even with exit code 0', async () => {
    const encoder = await create('mp3', true);
    const result = collect(encoder);
    await encoder.write(second);
    // SIGTERM: ffmpeg finishes the file and exits by itself, but the request was not done.
    process.kill(encoder.pid!, 'SIGTERM');
    await assert.rejects(result);
  });

  for (const streaming of [true, false]) {
    test(`destroy() kills the child at once and leaves no file (${streaming ? 'streaming' : 'whole file'})`, async () => {
      const encoder = await create('mp3', streaming);
      const pid = encoder.pid!;
      assert.ok(processAlive(pid));
      await encoder.write(second);
      const pending = encoder.write(second);
      encoder.destroy();
      await assert.rejects(pending);
      await waitFor(`ffmpeg ${pid} to be gone`, () => !processAlive(pid));
      await waitFor('its temp file to be removed', () => readdirSync(factory.tempDir).length === 0);
      await assert.rejects(encoder.write(second));
    });
  }

  test('write() waits for the child to accept the data (backpressure)', async () => {
    const encoder = await create('flac', true);
    // Nobody reads the output: ffmpeg's stdout fills, then its stdin, then write() waits.
    let accepted = 0;
    const big = sineSweep(240_000, 100, 200);
    const writing = (async () => {
      for (let i = 0; i < 40; i++) {
        await encoder.write(big);
        accepted++;
      }
    })();
    writing.catch(() => {});
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(accepted < 40, `all ${accepted} writes resolved with no reader`);
    encoder.destroy();
    await assert.rejects(writing);
  });
});
