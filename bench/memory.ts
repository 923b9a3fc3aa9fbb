// bench:memory — the gateway's peak memory for one huge whole-file request.
//
// One request, by default 100,000 characters as `stream:false` wav at speed 0.25 (about 7.4 h of
// audio, 1.3 GB of wav), through a gateway over two fast fake engines (harness/fake-engine.ts,
// far faster than real time, as on a GPU). The client reads the body as fast as it can and keeps
// none of it. Printed: the gateway's peak RSS (VmHWM from /proc), its RSS before the request,
// bytes received, wall time, and whether the response spilled to disk.
// With `--baseline REF` the same runs against the gateway as it was at git REF (exported with
// `git archive` into a temp folder and built there; nothing in this checkout or its git state
// changes), so the figure is a comparison with the code before the bounded buffers.
//
//   npm run bench:memory -- [--chars N] [--speed S] [--format wav|pcm|mp3|flac] [--baseline REF] [--json FILE]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startFakeEngine, FAKE_CHARS_PER_SECOND } from '../harness/fake-engine.js';
import { startGateway } from '../harness/gateway-process.js';
import { procStatusBytes } from '../harness/procs.js';
import { Flags, REPO_ROOT, finish, fmt, mib, runMain, sleep, table, warnIfBusy } from './lib/common.js';

interface Result {
  variant: string;
  peakRssBytes: number | undefined;
  idleRssBytes: number | undefined;
  bytes: number;
  contentLength: number | null;
  status: number;
  wallS: number;
  spills: number;
}

/** Distinct sentences, `chars` long. */
function longText(chars: number): string {
  let s = '';
  for (let i = 0; s.length < chars; i++) s += `This is sentence number ${i} of a very long chapter, read slowly. `;
  return s.slice(0, chars);
}

/** This checkout at `ref`, exported and built in a temp folder; returns its root. */
function buildBaseline(ref: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kokoro-bench-baseline-'));
  console.log(`baseline: exporting ${ref} into ${dir} and building it ...`);
  execFileSync('sh', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, 'sh', REPO_ROOT, ref, dir], { stdio: 'inherit' });
  symlinkSync(resolve(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  const tsc = resolve(REPO_ROOT, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(join(dir, 'dist/gateway/main.js'))) throw new Error(`the baseline ${ref} did not build`);
  return dir;
}

async function measure(variant: string, root: string | undefined, body: object, maxAudioSeconds: number): Promise<Result> {
  const engines = [await startFakeEngine(), await startFakeEngine()];
  const gw = await startGateway({
    engines: 0,
    ...(root ? { root } : {}),
    readyWhen: 'all-engines',
    readyTimeoutMs: 60_000,
    env: {
      ENGINE_URLS: engines.map((e) => e.url).join(','),
      CACHE_MB: '0',
      ENCODER_POOL: '0',
      MAX_AUDIO_SECONDS: String(maxAudioSeconds),
      LOG_LEVEL: 'warn',
    },
  });
  try {
    await sleep(500);
    const idleRssBytes = procStatusBytes(gw.pid, 'VmRSS');
    const t0 = performance.now();
    const r = await fetch(`${gw.url}/v1/audio/speech`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    let bytes = 0;
    for await (const part of r.body as unknown as AsyncIterable<Uint8Array>) bytes += part.length;
    const wallS = (performance.now() - t0) / 1000;
    const peakRssBytes = procStatusBytes(gw.pid, 'VmHWM');
    const spills = await gw.metric('kokoro_request_spills_total').catch(() => 0);
    const cl = r.headers.get('content-length');
    return { variant, peakRssBytes, idleRssBytes, bytes, contentLength: cl === null ? null : Number(cl), status: r.status, wallS, spills };
  } finally {
    await gw.stop(20_000);
    for (const e of engines) await e.close();
  }
}

async function main(): Promise<void> {
  const flags = new Flags();
  const chars = Math.round(flags.num('--chars', 100_000));
  const speed = flags.num('--speed', 0.25);
  const format = flags.str('--format') ?? 'wav';
  const baselineRef = flags.str('--baseline');
  warnIfBusy();
  const audioS = chars / FAKE_CHARS_PER_SECOND / speed;
  console.log(`request: ${chars} characters, ${format}, stream:false, speed ${speed}: about ${fmt(audioS / 3600, 1)} h of audio from the fake engines`);
  const body = { model: 'tts-1', voice: 'af_heart', input: longText(chars), response_format: format, speed, stream: false };
  // High enough for this request: the bench measures memory, not the limit.
  const maxAudioSeconds = Math.ceil((chars / 12 / speed) * 1.1);

  const results: Result[] = [];
  results.push(await measure('this checkout', undefined, body, maxAudioSeconds));
  let baseDir: string | undefined;
  if (baselineRef) {
    try {
      baseDir = buildBaseline(baselineRef);
      results.push(await measure(`baseline ${baselineRef}`, baseDir, body, maxAudioSeconds));
    } finally {
      if (baseDir) rmSync(baseDir, { recursive: true, force: true });
    }
  }
  table('gateway memory, one whole-file request', ['variant', 'status', 'peak RSS MiB', 'idle RSS MiB', 'body MiB', 'Content-Length ok', 'spilled', 'wall s'],
    results.map((r) => [r.variant, r.status, mib(r.peakRssBytes), mib(r.idleRssBytes), mib(r.bytes), r.contentLength === r.bytes ? 'yes' : 'NO', r.spills > 0 ? 'yes' : 'no', fmt(r.wallS, 1)]),
    'peak RSS: the gateway process\'s VmHWM after the request; the client keeps none of the body.');
  finish('memory', flags, { chars, speed, format, audioSeconds: audioS, results });
  if (results.some((r) => r.status !== 200 || r.contentLength !== r.bytes)) throw new Error('a request failed, or its body did not match its Content-Length');
}

runMain(main);
