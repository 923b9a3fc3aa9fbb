// Issue 13 item 3 with real engines: two engines whose English lexicons differ in one word must
// state different plan digests, and a request whose plan breaks on one engine after its first
// chunk must not be finished from the other engine's plan. Engine A reads the shared models;
// engine B a models dir that differs only in misaki/us_gold.json's entry for "garden" (same
// phoneme count, one phoneme changed, so only that chunk's token ids differ). Both are forked by
// the harness, which is how a gateway runs its engines: a forked engine takes the files its parent
// verified, so B's changed lexicon is loaded as is (run alone, an engine would verify the files
// against the manifest first). The gateway reaches them as remote engines (ENGINE_URLS), A through
// a loopback proxy that, when armed, forwards a /plan response up to its first PLAN frame and
// then cuts the connection; the gateway re-plans on B, whose chunk 0 differs.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FrameKind, type Frame } from '../../protocol/engine-wire.js';
import { plan, startEngine, type EngineProcess } from '../support/engine-process.js';
import { modelsDir, speech, startGateway, type GatewayProcess } from '../support/gateway-process.js';

const WORD = 'garden';
const CHANGED = 'ɡˈɑɹbən'; // misaki's is ɡˈɑɹdən: d -> b
// The changed word is in the first sentence, i.e. the first chunk (the short latency chunk).
const TEXT = 'The garden was quiet. A small bird sang from the old stone wall, and the evening light turned slowly gold over the hills.';
const CONTROL = 'A small bird sang from the old stone wall, and the evening light turned slowly gold over the hills.';
const REQUEST_MS = 180_000;

/** A models dir like `src`, every file a symlink, except misaki/us_gold.json with WORD changed. */
function changedLexiconDir(src: string, into: string): string {
  const dir = join(into, 'models-b');
  mkdirSync(join(dir, 'misaki'), { recursive: true });
  for (const name of readdirSync(src)) if (name !== 'misaki' && !name.startsWith('.')) symlinkSync(join(src, name), join(dir, name));
  for (const name of readdirSync(join(src, 'misaki'))) {
    if (name !== 'us_gold.json') symlinkSync(join(src, 'misaki', name), join(dir, 'misaki', name));
  }
  const gold = JSON.parse(readFileSync(join(src, 'misaki', 'us_gold.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(typeof gold[WORD], 'string', `us_gold.json has no plain entry for ${WORD}`);
  assert.notEqual(gold[WORD], CHANGED);
  gold[WORD] = CHANGED;
  writeFileSync(join(dir, 'misaki', 'us_gold.json'), JSON.stringify(gold));
  return dir;
}

interface CutProxy {
  server: Server;
  url: string;
  /** When true, the next /plan responses are cut after their first PLAN frame. */
  armed: boolean;
  plans: number;
  cuts: number;
}

/** A loopback HTTP proxy in front of `port`; see CutProxy. Frames are forwarded whole, in order. */
async function cutProxy(port: number): Promise<CutProxy> {
  const p: CutProxy = { server: createServer(), url: '', armed: false, plans: 0, cuts: 0 };
  p.server.on('request', (req, res) => {
    const isPlan = req.method === 'POST' && req.url === '/plan';
    if (isPlan) p.plans++;
    const cut = isPlan && p.armed;
    const up = request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers }, (ures) => {
      res.writeHead(ures.statusCode!, ures.headers);
      if (!cut || ures.statusCode !== 200) return void ures.pipe(res);
      let pending = Buffer.alloc(0);
      ures.on('data', (d: Buffer) => {
        pending = Buffer.concat([pending, d]);
        while (pending.length >= 5) {
          const len = pending.readUInt32LE(1);
          if (pending.length < 5 + len) break;
          const kind = pending.readUInt8(0);
          const frame = pending.subarray(0, 5 + len);
          pending = pending.subarray(5 + len);
          if (kind !== FrameKind.PLAN) {
            res.write(frame);
            continue;
          }
          p.cuts++;
          ures.removeAllListeners('data');
          ures.destroy();
          // Cut only once the PLAN frame is handed to the kernel (a destroy right after write()
          // may drop it), so the gateway has chunk 0; no closing frame follows: a broken plan stream.
          res.write(frame, () => setTimeout(() => res.socket?.destroy(), 300));
          return;
        }
      });
      ures.on('end', () => res.end());
    });
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => p.server.listen(0, '127.0.0.1', r));
  p.url = `http://127.0.0.1:${(p.server.address() as AddressInfo).port}`;
  return p;
}

const planOf = (frames: Frame[]) => ({
  chunks: frames.filter((f): f is Extract<Frame, { kind: typeof FrameKind.PLAN }> => f.kind === FrameKind.PLAN).map((f) => f.tokens),
  digest: frames.find((f): f is Extract<Frame, { kind: typeof FrameKind.PLANNED }> => f.kind === FrameKind.PLANNED)?.digest,
});

describe('plan identity across engines with different lexicons', { timeout: 900_000 }, () => {
  let tmp = '';
  let a: EngineProcess | undefined;
  let b: EngineProcess | undefined;
  let proxy: CutProxy | undefined;
  let gw: GatewayProcess | undefined;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'plan-identity-'));
    const dirB = changedLexiconDir(modelsDir, tmp);
    [a, b] = await Promise.all([startEngine({ id: 'lex-a' }), startEngine({ id: 'lex-b', modelsDir: dirB })]);
    proxy = await cutProxy(a.port);
  });

  after(async () => {
    if (gw) await gw.stop(10_000);
    if (proxy) {
      proxy.server.closeAllConnections();
      proxy.server.close();
    }
    await Promise.all([a?.stop(), b?.stop()]);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the engines state different plan digests exactly when the text has the changed word', async () => {
    const [pa, pb] = await Promise.all([plan(a!.port, { text: TEXT, lang: 'en-us' }), plan(b!.port, { text: TEXT, lang: 'en-us' })]);
    assert.equal(pa.status, 200);
    assert.equal(pb.status, 200);
    const A = planOf(pa.frames);
    const B = planOf(pb.frames);
    assert.ok(A.digest && B.digest, 'both plans closed with PLANNED');
    assert.ok(A.chunks.length >= 2, `the text should plan into several chunks, got ${A.chunks.length}`);
    assert.notEqual(A.digest, B.digest);
    assert.equal(A.chunks.length, B.chunks.length);
    assert.notDeepEqual(A.chunks[0], B.chunks[0], 'chunk 0 (with the changed word) differs');
    assert.equal(A.chunks[0]!.length, B.chunks[0]!.length, 'same phoneme count, one token changed');
    assert.deepEqual(A.chunks.slice(1), B.chunks.slice(1), 'the other chunks are the same');

    const [ca, cb] = await Promise.all([plan(a!.port, { text: CONTROL, lang: 'en-us' }), plan(b!.port, { text: CONTROL, lang: 'en-us' })]);
    assert.equal(planOf(ca.frames).digest, planOf(cb.frames).digest, 'without the word, the plans agree');
    assert.ok(planOf(ca.frames).digest);
  });

  it("a plan broken on A and re-planned on B fails visibly, never a spliced file", { timeout: 600_000 }, async (t) => {
    gw = await startGateway({
      engines: 0,
      readyTimeoutMs: 120_000,
      env: {
        ENGINE_URLS: `${proxy!.url},${b!.origin}`,
        CACHE_MB: '0', // every request must plan afresh
        ENCODER_POOL: '0',
        LOG_LEVEL: 'warn',
      },
    });
    const rows = await gw.engines();
    assert.equal(rows.length, 2);
    const allReady = (r: typeof rows) => r.length === 2 && r.every((e) => e.state === 'ready');

    // A's own audio: planned on A (the first engine listed, both idle), unbroken.
    const plansBefore = proxy!.plans;
    const ref = await speech(gw.url, { input: TEXT, response_format: 'pcm', stream: false }, { timeoutMs: REQUEST_MS });
    assert.equal(ref.status, 200, ref.body.toString('utf8').slice(0, 300));
    assert.equal(proxy!.plans, plansBefore + 1, 'the reference was planned on A');
    assert.ok(ref.body.length > 24_000 * 2, 'over a second of audio');

    // A whole file: the re-plan on B disagrees on chunk 0, which was already used: 502.
    proxy!.armed = true;
    const cutsBefore = proxy!.cuts;
    const whole = await speech(gw.url, { input: TEXT, response_format: 'pcm', stream: false }, { timeoutMs: REQUEST_MS });
    assert.equal(proxy!.cuts, cutsBefore + 1, 'the plan was cut on A');
    assert.equal(whole.status, 502, `want 502 plan_mismatch, got ${whole.status}: ${whole.body.toString('utf8').slice(0, 300)}`);
    const err = JSON.parse(whole.body.toString('utf8')) as { error: { message: string; type: string; param: unknown; code: string } };
    assert.equal(err.error.code, 'plan_mismatch');
    assert.equal(err.error.type, 'server_error');
    assert.ok('param' in err.error);
    assert.match(err.error.message, /disagree/);

    // A stream (SSE): whatever audio came before the error is A's, and it ends with an error event.
    await gw.waitEngines(allReady, 60_000, 'A back after its broken plan');
    const sse = await speech(gw.url, { input: TEXT, response_format: 'pcm', stream_format: 'sse' }, { timeoutMs: REQUEST_MS });
    assert.equal(proxy!.cuts, cutsBefore + 2, 'the second plan was cut on A too');
    // The mismatch may come before the first audio (then the whole answer is the 502) or after.
    t.diagnostic(`stream: status ${sse.status}, ${sse.body.length} bytes`);
    if (sse.status !== 200) {
      assert.equal(sse.status, 502, sse.body.toString('utf8').slice(0, 300));
      assert.equal((JSON.parse(sse.body.toString('utf8')) as { error: { code: string } }).error.code, 'plan_mismatch');
    } else {
      const events = sse.body.toString('utf8').split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as {
        type: string; audio?: string; error?: { code: string };
      });
      assert.ok(!events.some((e) => e.type === 'speech.audio.done'), 'no done event');
      const last = events.at(-1);
      assert.equal(last?.type, 'error', `the stream ends with an error event: ${JSON.stringify(last)?.slice(0, 200)}`);
      assert.equal(last?.error?.code, 'plan_mismatch');
      const audio = Buffer.concat(events.filter((e) => e.type === 'speech.audio.delta').map((e) => Buffer.from(e.audio!, 'base64')));
      assert.ok(audio.length < ref.body.length, 'not the whole file');
      assert.ok(ref.body.subarray(0, audio.length).equals(audio), `the ${audio.length} bytes sent are a prefix of A's audio`);
      t.diagnostic(`stream: ${audio.length} of ${ref.body.length} bytes of A's audio before the error event`);
    }
    proxy!.armed = false;

    assert.equal(gw.crashed(), false);
  });
});
