// A long request must not keep the audio it already delivered: the chunk source once raced
// each chunk against a failure promise that never settles, and every race left a reaction on
// it holding that chunk's samples until the request ended (GBs for a long whole file). Here a
// delivered chunk's samples must be collectable while the request is still running.
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { after, test } from 'node:test';
import { ChunkCache } from '../../gateway/chunks/cache.js';
import { ChunkSource } from '../../gateway/chunks/source.js';
import { loadSupervisionConfig } from '../../gateway/engines/config.js';
import type { Supervisor } from '../../gateway/engines/supervisor.js';
import { protocolEngine, superviseFakes, type ProtocolEngine } from './fake-engines.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const config = loadSupervisionConfig({ ENGINES: '1', STALL_TIMEOUT_MS: '2000', ENGINE_WAIT_MS: '2000', HEALTH_INTERVAL_MS: '50' }, []);
let engine: ProtocolEngine | undefined;
let sup: Supervisor | undefined;
let source: ChunkSource | undefined;
after(async () => {
  source?.scheduler.dispose();
  await sup?.stop();
  engine?.server.closeAllConnections();
  engine?.server.close();
});

test('samples already delivered can be collected while the request still runs', { timeout: 60_000 }, async () => {
  engine = await protocolEngine('e1', { chunkMs: 1 });
  sup = await superviseFakes(config, [engine]);
  source = new ChunkSource({ engines: sup, config, lookaheadChunks: 2, cache: new ChunkCache({ memoryBytes: 0 }), log: () => {} });
  const text = Array.from({ length: 40 }, (_, i) => `Sentence number ${i} is here`).join('. ') + '.';
  const refs: WeakRef<Int16Array>[] = [];
  let alive = -1;
  for await (const ev of source.synthesize({ requestId: 'mem', text, voice: 'af_heart', speed: 1 }, new AbortController().signal)) {
    if (ev.type !== 'audio') continue;
    refs.push(new WeakRef(ev.samples));
    if (refs.length === 30) {
      // Mid-request: the first 25 chunks were delivered and dropped by us long ago.
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setImmediate(r));
      }
      alive = refs.slice(0, 25).filter((r) => r.deref() !== undefined).length;
    }
  }
  assert.equal(refs.length, 40);
  assert.equal(alive, 0, `${alive} of 25 delivered chunks still held by the running request`);
});
