// Admission and shutdown against the real gateway (real model, two CPU engines): a flac limit
// of 1 makes concurrent flac requests queue (each still completes with the right audio), the
// queue bound turns the next one into a 429, and SIGTERM lets a request in progress finish
// before the process exits 0 with no engine left behind.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeToPcm } from '../../harness/audio/index.js';
import { alive, sleep, speech, startGateway, type GatewayProcess } from '../support/gateway-process.js';

// Three texts of clearly different lengths, so a mix-up could not pass.
const TEXTS = [
  'Good morning.',
  'The train leaves at seven, so pack your bag tonight.',
  'She opened the window, listened to the rain on the roof, and decided the letter could wait until tomorrow.',
];
// Long enough that SIGTERM lands while it is still streaming.
const DRAIN_TEXT = 'The old clock in the hall had stopped at a quarter past three. Nobody remembered when it happened, '
  + 'and nobody had tried to wind it. Still, every guest who passed it glanced up, as if it might start again.';

const REQUEST_MS = 180_000;

interface OpenAIError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

describe('admission: per-format limit, bounded queue, and drain on SIGTERM', { timeout: 900_000 }, () => {
  let gw: GatewayProcess | undefined;
  const refs = new Map<string, Buffer>();

  before(async () => {
    gw = await startGateway({
      env: {
        LIMIT_FLAC: '1',
        QUEUE_SIZE: '2',
        // The references are made first: with the chunk cache on, the flac requests would be
        // served from it at once and never queue.
        CACHE_MB: '0',
        QUEUE_WAIT_MS: '120000',
        DRAIN_MS: '120000',
        LOG_LEVEL: 'warn',
      },
    });
  }, { timeout: 300_000 });

  after(async () => {
    await gw?.stop(20_000);
  }, { timeout: 60_000 });

  it('pcm references for every text', { timeout: REQUEST_MS }, async () => {
    const all = [...TEXTS, DRAIN_TEXT];
    const results = await Promise.all(all.map((input) => speech(gw!.url, { input, response_format: 'pcm' }, { timeoutMs: REQUEST_MS })));
    results.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.ok(r.body.length > 24_000, `text ${i} gave ${r.body.length} bytes`);
      refs.set(all[i]!, r.body);
    });
    const lengths = TEXTS.map((t) => refs.get(t)!.length);
    assert.ok(lengths[0]! < lengths[1]! && lengths[1]! < lengths[2]!, `lengths differ: ${lengths}`);
  });

  it('LIMIT_FLAC=1: three concurrent flac requests queue, all complete with their own audio; the next is a 429', { timeout: REQUEST_MS }, async () => {
    assert.equal(refs.size, TEXTS.length + 1, 'references must exist');
    const g = gw!;
    const waitsBefore = await g.metric('kokoro_admission_wait_seconds_count', { format: 'flac' });
    const rejectedBefore = await g.metric('kokoro_admission_rejections_total', { reason: 'queue_full' });
    const runs = TEXTS.map((input) => speech(g.url, { input, response_format: 'flac' }, { timeoutMs: REQUEST_MS }));
    runs.forEach((p) => p.catch(() => {}));

    // One runs, two wait: the queue (QUEUE_SIZE=2) is full.
    const deadline = Date.now() + 60_000;
    let depth = 0;
    while ((depth = await g.metric('kokoro_admission_queue_depth', { format: 'flac' })) < 2 && Date.now() < deadline) await sleep(25);
    assert.equal(depth, 2, 'two flac requests wait behind the one running');

    const res = await fetch(`${g.url}/v1/audio/speech`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tts-1', voice: 'af_heart', input: 'One more, please.', response_format: 'flac' }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = await res.json() as OpenAIError;
    assert.equal(res.status, 429, JSON.stringify(body));
    assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.equal(typeof body.error.message, 'string');
    assert.equal(body.error.type, 'rate_limit_error');
    assert.equal(body.error.param, null);
    assert.equal(typeof body.error.code, 'string');
    assert.equal(await g.metric('kokoro_admission_rejections_total', { reason: 'queue_full' }), rejectedBefore + 1);

    const done = await Promise.all(runs);
    for (const [i, r] of done.entries()) {
      assert.equal(r.status, 200, `flac ${i}`);
      assert.match(r.headers.get('content-type') ?? '', /flac/);
      // flac is lossless: decoded, it is exactly the pcm of the same text.
      const samples = await decodeToPcm(r.body, 'flac');
      const want = refs.get(TEXTS[i]!)!;
      assert.ok(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).equals(want),
        `flac ${i} decodes to its own pcm (${samples.length * 2} bytes vs ${want.length})`);
    }
    assert.equal(await g.metric('kokoro_admission_wait_seconds_count', { format: 'flac' }), waitsBefore + 3, 'three admissions recorded');
    assert.equal(await g.metric('kokoro_admission_queue_depth', { format: 'flac' }), 0, 'queue empty afterwards');
  });

  it('SIGTERM during a request: it completes, new requests are refused, the process exits 0, no engine survives', { timeout: REQUEST_MS }, async () => {
    const g = gw!;
    const want = refs.get(DRAIN_TEXT);
    assert.ok(want, 'reference must exist');
    const pids = (await g.engines()).map((e) => e.pid).filter((p): p is number => p !== null);
    assert.equal(pids.length, 2);

    let sentAt = 0;
    const res = await speech(g.url, { input: DRAIN_TEXT, response_format: 'pcm' }, {
      timeoutMs: REQUEST_MS,
      onFirstBytes: async () => {
        process.kill(g.pid, 'SIGTERM');
        sentAt = Date.now();
        await sleep(300);
        // Stopped accepting: a new request is refused (connection refused, reset, or 503).
        const late = await fetch(`${g.url}/health`, { signal: AbortSignal.timeout(5000), headers: { connection: 'close' } })
          .then((r) => r.status, () => 'refused');
        assert.ok(late === 'refused' || late === 503, `a request after SIGTERM got ${late}`);
      },
    });
    assert.ok(sentAt > 0, 'SIGTERM was sent mid-stream');
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(want), `the draining request got all its audio (${res.body.length} of ${want.length} bytes)`);

    // DRAIN_MS is 120 s: nothing is left to drain once the request is done, so the process
    // must exit well before that limit (an idle keep-alive connection is not work).
    const doneAt = Date.now();
    const exit = await Promise.race([g.exited, sleep(45_000).then(() => null)]);
    assert.ok(exit, `the gateway was still running ${Date.now() - doneAt} ms after its last request finished `
      + '(SIGTERM drain waits for the idle keep-alive connection until DRAIN_MS)');
    assert.equal(exit.code, 0);
    const r = await g.stop(5000);
    assert.deepEqual(r.survivors, []);
    for (const pid of pids) assert.ok(!alive(pid), `engine ${pid} is gone`);
  });
});
