// bench:latency — first byte, realtime factor and throughput of our gateway with the speed work
// of the latency issue on ("new", the defaults) and off ("off": PARALLEL_CHUNKS=0, CACHE_MB=0,
// the old first-chunk rule), and against any OpenAI-compatible server (`--peer URL`), all in
// one run so the ratios mean something on a shared or noisy machine.
//
// Sections:
//  lone        one request at a time, short / paragraph / long texts, streamed mp3 and pcm: time
//              to first audio byte, total time, audio seconds, realtime factor (audio s / wall s);
//              median over --rounds.
//  throughput  1, 2, 4, 8 concurrent clients, each sending distinct paragraphs back to back for
//              --seconds (requests in flight at the deadline finish and count): aggregate audio
//              seconds per wall second, first byte p50/p95.
//  cache       one short text twice on each server: first byte of the repeat (mp3, then pcm),
//              and the gateway's cache counters from /metrics (n/a while the metric is absent).
//  identical   (--identical) 4 identical concurrent requests against 4 distinct ones.
//
// Fairness: both gateways run at once but only one server is under load at any moment: every
// job (one text and voice, or one throughput level) is run on each server in turn, the order
// rotating from job to job, and the next server starts only when the previous one is idle. Each
// text is used by one job only, so every server sees every text exactly once (a cache cannot
// help) and all servers get the same texts. Cache counters are read before and after each
// section; a hit outside the cache section is printed as a warning.
//
//   npm run bench:latency -- [--quick] [--rounds N] [--seconds S] [--concurrency 1,2,4,8]
//     [--peer URL] [--peer-model M] [--peer-voices a,b,...] [--start-peer] [--identical]
//     [--engines N] [--threads T] [--skip-lone] [--skip-throughput] [--json FILE]
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { Flags, finish, fmt, median, ms, percentile, runMain, sleep, sum, table, track, warnIfBusy } from './lib/common.js';
import { agent } from './lib/http.js';
import { mp3Duration } from './lib/mp3.js';
import { ENGLISH_VOICES, TextPool } from './lib/text-pool.js';
import { wordCount } from './texts.js';
import { startGateway, sumMetric, type GatewayOptions, type GatewayProcess } from '../harness/gateway-process.js';
import { freePort } from '../harness/procs.js';
import { SAMPLE_RATE } from '../protocol/constants.js';

// ---- the switches of the speed work ---------------------------------------------------------
/** (1) one request's chunks on every idle engine; '0' = off. */
const PARALLEL_CHUNKS_ENV = 'PARALLEL_CHUNKS';
/** (2) the first-chunk cap and the chunk ramp: 80 tokens without the ramp is the rule before. */
const FIRST_CHUNK_ENV = 'FIRST_CHUNK_TOKENS';
const FIRST_CHUNK_OFF = '80';
const RAMP_ENV = 'CHUNK_RAMP';
/** (3) the chunk cache size in MB; '0' = off. */
const CACHE_ENV = 'CACHE_MB';
/** (1b) the wide session: a chunk alone on the machine runs on all cores; '0' = off. */
const WIDE_ENV = 'WIDE_THREADS';
/** The cache hit counter (other metrics whose name holds "cache", and the wide-chunk counter, are listed too). */
const CACHE_HITS_METRIC = 'kokoro_cache_hits_total';
const WIDE_METRIC = 'kokoro_chunks_wide_total';

const OFF_ENV: Record<string, string> = { [PARALLEL_CHUNKS_ENV]: '0', [FIRST_CHUNK_ENV]: FIRST_CHUNK_OFF, [RAMP_ENV]: '0', [CACHE_ENV]: '0', [WIDE_ENV]: '0' };
// Blank = the setting's default (settings/reader.ts), also when this shell has the variable set.
const NEW_ENV: Record<string, string> = { [PARALLEL_CHUNKS_ENV]: '', [FIRST_CHUNK_ENV]: '', [RAMP_ENV]: '', [CACHE_ENV]: '', [WIDE_ENV]: '' };

const PEER_SCRIPT = '/work/shared/tools/peer-fastkokoro.sh';

const HELP = `bench:latency — first byte, realtime factor and throughput: our gateway with the speed work on
("new") and off ("off"), and an optional OpenAI-compatible peer, interleaved in one run.

  npm run bench:latency -- [options]

  --quick              smoke run: 1 round, concurrency 1,2, short texts only, 3 s per level
  --rounds N           rounds per figure (default 3); each round has its own texts and voices
  --seconds S          duration of each throughput level per round (default 15)
  --concurrency LIST   throughput levels (default 1,2,4,8)
  --peer URL           an OpenAI base URL to compare with, e.g. http://127.0.0.1:18931/v1
  --peer-model M       model name for the peer (default: probed, 'kokoro' then 'tts-1')
  --peer-voices LIST   the peer's voice names, used in place of ours in order (default: ours)
  --start-peer [PORT]  start ${PEER_SCRIPT} as a child (stopped at the end) and use it as --peer
  --identical          also: 4 identical concurrent requests against 4 distinct ones
  --engines N          ENGINES for both gateways (default: the machine default, ENGINES=auto)
  --threads T          ENGINE_THREADS for both gateways (default: the gateway's)
  --skip-lone, --skip-throughput, --skip-cache   leave a section out
  --json FILE          also write the final JSON figures to FILE
  --help               this text

"off" = ${Object.entries(OFF_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}; "new" = those settings at their defaults.
Figures are only comparable within one run (same machine, same moment, same texts).`;

// ---- servers ---------------------------------------------------------------------------------

type ServerName = 'new' | 'off' | 'peer';

interface Server {
  name: ServerName;
  /** OpenAI base URL, ending in /v1. */
  base: string;
  model: string;
  voices: readonly string[];
  gw?: GatewayProcess;
}

interface Job {
  text: string;
  /** Index into the server's voice list. */
  voice: number;
}

interface SpeechResult {
  ok: boolean;
  status: number;
  error?: string;
  firstByteMs: number;
  totalMs: number;
  bytes: number;
  audioSeconds: number;
}

function headerBytesOf(format: string): number {
  return format === 'wav' ? 44 : 0;
}

function audioSecondsOf(format: string, body: Buffer): number {
  if (format === 'mp3') return mp3Duration(body).seconds;
  const pcm = body.length - headerBytesOf(format);
  return pcm / 2 / SAMPLE_RATE;
}

/** One streamed POST {base}/audio/speech; the body is kept (to measure its audio). */
function speech(server: Server, job: Job, format: string, timeoutMs = 300_000): Promise<SpeechResult> {
  const url = new URL(`${server.base}/audio/speech`);
  const payload = Buffer.from(JSON.stringify({
    model: server.model, input: job.text, voice: server.voices[job.voice % server.voices.length], response_format: format,
  }));
  const header = headerBytesOf(format);
  return new Promise((resolve) => {
    const t0 = performance.now();
    const parts: Buffer[] = [];
    let bytes = 0;
    let firstByteMs = NaN;
    let status = 0;
    let settled = false;
    const done = (error?: string) => {
      if (settled) return;
      settled = true;
      const totalMs = performance.now() - t0;
      const body = Buffer.concat(parts);
      const ok = !error && status === 200;
      resolve({
        ok, status, error: ok ? undefined : (error ?? `HTTP ${status}: ${body.toString('utf8').slice(0, 200)}`),
        firstByteMs, totalMs, bytes, audioSeconds: ok ? audioSecondsOf(format, body) : 0,
      });
    };
    const req = request(url, {
      method: 'POST', agent, timeout: timeoutMs,
      headers: { 'content-type': 'application/json', 'content-length': payload.length },
    }, (res) => {
      status = res.statusCode ?? 0;
      res.on('data', (d: Buffer) => {
        parts.push(d);
        bytes += d.length;
        if (Number.isNaN(firstByteMs) && status === 200 && bytes > header) firstByteMs = performance.now() - t0;
      });
      res.on('end', () => done());
      res.on('error', (err) => done(err.message));
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (err) => done(err.message));
    req.end(payload);
  });
}

/** Our gateway: wait until no engine has a request in flight (peer: nothing to ask). */
async function waitIdle(server: Server, timeoutMs = 60_000): Promise<void> {
  if (!server.gw) return;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const rows = await server.gw.engines().catch(() => []);
    if (rows.every((e) => e.inFlight === 0)) return;
    if (Date.now() > until) throw new Error(`${server.name}: engines still busy after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Every sample of a metric whose name holds "cache" (and kokoro_chunks_wide_total), summed per name (gateways only). */
async function cacheMetrics(server: Server): Promise<Record<string, number> | null> {
  if (!server.gw) return null;
  const res = await fetch(`${server.gw.url}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  const names = new Set<string>();
  for (const m of text.matchAll(/^([a-zA-Z_:][\w:]*(?:cache|chunks_wide)[\w:]*)(?:\{|\s)/gm)) names.add(m[1]!);
  const out: Record<string, number> = {};
  for (const n of [...names].sort()) out[n] = sumMetric(text, n);
  return out;
}

function diffMetrics(a: Record<string, number> | null, b: Record<string, number> | null): Record<string, number> | null {
  if (!a || !b) return null;
  const out: Record<string, number> = {};
  for (const k of Object.keys(b)) out[k] = b[k]! - (a[k] ?? 0);
  return out;
}

const hitsOf = (d: Record<string, number> | null): number | null => (d && CACHE_HITS_METRIC in d ? d[CACHE_HITS_METRIC]! : null);

/** The servers in an order that rotates with k, so no server is always first or last. */
const rotate = <T>(xs: readonly T[], k: number): T[] => xs.map((_, i) => xs[(i + k) % xs.length]!);

// ---- the peer ----------------------------------------------------------------------------------

async function startPeer(port: number): Promise<{ child: ChildProcess; base: string; log: () => string }> {
  const child = spawn('bash', [PEER_SCRIPT, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let log = '';
  const keep = (d: Buffer) => { log = (log + d.toString('utf8')).slice(-4000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const base = `http://127.0.0.1:${port}/v1`;
  console.log(`peer: started ${PEER_SCRIPT} ${port} as pid ${child.pid} (first run builds a venv: minutes)`);
  const until = Date.now() + 20 * 60_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the peer exited (${child.exitCode}):\n${log}`);
    const up = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) }).then(() => true, () => false);
    if (up) return { child, base, log: () => log };
    await sleep(1000);
  }
  throw new Error(`the peer did not answer on port ${port} within 20 minutes:\n${log}`);
}

async function stopPeer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM'); // the script exec's the server: this PID is the server
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

/** The first model name the peer accepts (a short pcm request each). */
async function probePeerModel(base: string, voices: readonly string[], given?: string): Promise<{ model: string; probes: string[] }> {
  const probes: string[] = [];
  for (const model of given ? [given] : ['kokoro', 'tts-1']) {
    const r = await speech({ name: 'peer', base, model, voices }, { text: 'Probe.', voice: 0 }, 'pcm', 120_000);
    probes.push(`model '${model}': ${r.ok ? `200, ${r.bytes} bytes` : r.error}`);
    if (r.ok) return { model, probes };
  }
  throw new Error(`the peer at ${base} accepted none of the model names:\n  ${probes.join('\n  ')}`);
}

// ---- measurements ----------------------------------------------------------------------------

type TextClass = 'short' | 'paragraph' | 'long';

interface LoneSample {
  round: number;
  words: number;
  voice: string;
  firstByteMs: number;
  totalMs: number;
  audioSeconds: number;
  rtf: number;
  error?: string;
}

interface TputSample {
  round: number;
  requests: number;
  errors: number;
  audioSeconds: number;
  wallSeconds: number;
  firstByteMs: number[];
}

async function main(): Promise<void> {
  const flags = new Flags();
  if (flags.has('--help') || flags.has('-h')) {
    console.log(HELP);
    return;
  }
  const known = new Set(['--quick', '--rounds', '--seconds', '--concurrency', '--peer', '--peer-model', '--peer-voices', '--start-peer',
    '--identical', '--engines', '--threads', '--skip-lone', '--skip-throughput', '--skip-cache', '--json']);
  const unknown = process.argv.slice(2).filter((a) => a.startsWith('--') && !known.has(a));
  if (unknown.length) throw new Error(`unknown option(s) ${unknown.join(' ')}; see --help`);
  const quick = flags.has('--quick');
  const rounds = Math.round(flags.num('--rounds', quick ? 1 : 3));
  const seconds = flags.num('--seconds', quick ? 3 : 15);
  const levels = flags.ints('--concurrency', quick ? [1, 2] : [1, 2, 4, 8]);
  const classes: TextClass[] = quick ? ['short'] : ['short', 'paragraph', 'long'];
  const tputClass: TextClass = quick ? 'short' : 'paragraph';
  const formats = ['mp3', 'pcm'];
  const engines = flags.str('--engines');
  const threads = flags.str('--threads');
  const doIdentical = flags.has('--identical');
  let peerBase = flags.str('--peer')?.replace(/\/+$/, '');
  const peerVoices = flags.str('--peer-voices')?.split(',').map((s) => s.trim()).filter(Boolean);
  const startPeerFlag = flags.has('--start-peer');
  if (startPeerFlag && peerBase) throw new Error('give --peer or --start-peer, not both');
  if (peerBase && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(`${peerBase}/`)) {
    throw new Error(`--peer must be a loopback http URL (this benchmark targets loopback only), got ${peerBase}`);
  }

  console.log('bench:latency — lone first byte and realtime factor, throughput by concurrency, cache repeat; ' +
    `our gateway "new" (defaults) vs "off" (${Object.entries(OFF_ENV).map(([k, v]) => `${k}=${v}`).join(' ')})` +
    `${peerBase || startPeerFlag ? ' vs the peer' : ''}, interleaved, ${rounds} round(s)`);
  warnIfBusy();

  const servers: Server[] = [];
  const gateways: GatewayProcess[] = [];
  let peerChild: ChildProcess | undefined;
  const pool = new TextPool();
  const warnings: string[] = [];
  const notes: string[] = [];
  const lone: Record<string, Record<string, LoneSample[]>> = {}; // `${class}/${format}` -> server -> samples
  const tput: Record<number, Record<string, TputSample[]>> = {};
  const cache: Record<string, { firstMs: number[]; repeatMp3Ms: number[]; repeatPcmMs: number[]; metrics: Record<string, number> | null; hits: number | null }> = {};
  const identical: Record<string, { identical: TputSample[]; distinct: TputSample[]; hits: number | null }> = {};
  const sectionMetrics: Record<string, Record<string, Record<string, number> | null>> = {};
  let peerProbes: string[] = [];
  const layout: Record<string, string> = {};

  const gwOptions = (env: Record<string, string>): GatewayOptions => ({
    engines: engines ? Number(engines) : undefined,
    threads: threads ? Number(threads) : undefined,
    logLevel: 'warn',
    // ENGINES unset here = the machine default (the harness would otherwise pass 2).
    // A long admission wait: at 8 concurrent on a slow, shared machine a request may wait more
    // than the default 30 s for an engine, and a 429 is not what this benchmark measures.
    env: { ...(engines ? {} : { ENGINES: 'auto' }), QUEUE_WAIT_MS: '600000', ...env },
    readyWhen: 'all-engines',
    readyTimeoutMs: 300_000,
    onSpawn: track,
  });

  // Runs `fn` for each section on every gateway's cache counters, before and after.
  const withMetrics = async (section: string, fn: () => Promise<void>): Promise<Record<string, Record<string, number> | null>> => {
    const before = await Promise.all(servers.map(cacheMetrics));
    await fn();
    const after = await Promise.all(servers.map(cacheMetrics));
    const out: Record<string, Record<string, number> | null> = {};
    servers.forEach((s, i) => { out[s.name] = diffMetrics(before[i]!, after[i]!); });
    sectionMetrics[section] = out;
    return out;
  };

  try {
    // Both gateways start together (start-up is not measured) and stay up for the whole run;
    // they are only ever loaded one at a time.
    const [gNew, gOff] = await Promise.all([startGateway(gwOptions(NEW_ENV)), startGateway(gwOptions(OFF_ENV))]);
    gateways.push(gNew!, gOff!);
    for (const [name, gw] of [['new', gNew!], ['off', gOff!]] as const) {
      servers.push({ name, base: `${gw.url}/v1`, model: 'kokoro', voices: ENGLISH_VOICES, gw });
      layout[name] = gw.enginesAtReady.map((e) => `${e.id}:${e.threads}t`).join(' ');
      console.log(`${name}: gateway pid ${gw.pid} ${gw.url}; engines ${gw.enginesAtReady.map((e) => `${e.id} pid ${e.pid} ${e.threads}t ${e.runtime}`).join(', ')}`);
    }
    if (startPeerFlag) {
      const i = process.argv.indexOf('--start-peer');
      const given = process.argv[i + 1];
      const port = given && /^\d+$/.test(given) ? Number(given) : await freePort();
      const p = await startPeer(port);
      peerChild = p.child;
      peerBase = p.base;
    }
    if (peerBase) {
      const voices = peerVoices?.length ? peerVoices : ENGLISH_VOICES;
      const probe = await probePeerModel(peerBase, voices, flags.str('--peer-model'));
      peerProbes = probe.probes;
      servers.push({ name: 'peer', base: peerBase, model: probe.model, voices });
      console.log(`peer: ${peerBase}, model '${probe.model}' (${probe.probes.join('; ')})`);
    }

    // Warm-up, with texts used nowhere else: every engine once per format (2 at a time on each
    // server), and a check that mp3 and pcm give the same duration (pcm read as 24 kHz s16le).
    const warm = ['Warming up the first engine now.', 'Warming up the second engine as well.'];
    for (const s of servers) {
      for (const f of formats) {
        const rs = await Promise.all(warm.map((text, i) => speech(s, { text: `${text} ${f}.`, voice: i }, f)));
        for (const r of rs) if (!r.ok) throw new Error(`${s.name}: warm-up ${f} failed: ${r.error}`);
      }
      const [a, b] = await Promise.all([
        speech(s, { text: 'This sentence checks that both formats last as long.', voice: 0 }, 'mp3'),
        speech(s, { text: 'This sentence checks that both formats last as long.', voice: 1 }, 'pcm'),
      ]);
      if (a.ok && b.ok && Math.abs(a.audioSeconds - b.audioSeconds) > 0.1 * b.audioSeconds + 0.1) {
        warnings.push(`${s.name}: the same sentence lasted ${fmt(a.audioSeconds)} s as mp3 and ${fmt(b.audioSeconds)} s as pcm ` +
          '(pcm is read as 24 kHz 16-bit mono): its audio seconds may be wrong');
      }
      await waitIdle(s);
    }
    await sleep(500);

    // ---- lone requests ----
    if (!flags.has('--skip-lone')) {
      console.log('\n== lone requests ==');
      let k = 0;
      await withMetrics('lone', async () => {
        for (let r = 0; r < rounds; r++) {
          for (const cls of classes) {
            for (const f of formats) {
              const job: Job = { text: pool.take(cls), voice: (r * 7 + classes.indexOf(cls) * 2 + formats.indexOf(f)) % ENGLISH_VOICES.length };
              const key = `${cls}/${f}`;
              lone[key] ??= {};
              const line: string[] = [];
              for (const s of rotate(servers, k++)) {
                const res = await speech(s, job, f);
                const sample: LoneSample = {
                  round: r, words: wordCount(job.text), voice: s.voices[job.voice % s.voices.length]!,
                  firstByteMs: res.ok ? res.firstByteMs : NaN, totalMs: res.ok ? res.totalMs : NaN,
                  audioSeconds: res.audioSeconds, rtf: res.ok ? res.audioSeconds / (res.totalMs / 1000) : NaN, error: res.error,
                };
                if (res.error) warnings.push(`lone ${key} round ${r + 1} on ${s.name}: ${res.error}`);
                (lone[key]![s.name] ??= []).push(sample);
                line.push(`${s.name} ${ms(sample.firstByteMs)}/${ms(sample.totalMs)} ms ${fmt(sample.audioSeconds, 1)} s`);
                await waitIdle(s);
              }
              console.log(`  round ${r + 1} ${key.padEnd(14)} (${wordCount(job.text)} words): first byte/total: ${line.join(', ')}`);
            }
          }
        }
      });
    }

    // ---- throughput ----
    if (!flags.has('--skip-throughput')) {
      console.log(`\n== throughput: ${tputClass} texts back to back for ${seconds} s per level and round, mp3 ==`);
      let k = 0;
      await withMetrics('throughput', async () => {
        for (let r = 0; r < rounds; r++) {
          for (const c of levels) {
            // One text sequence per (round, level), extended as needed: request i gets job i on every server.
            const jobs: Job[] = [];
            const jobAt = (i: number): Job => {
              while (jobs.length <= i) jobs.push({ text: pool.take(tputClass), voice: (jobs.length * 5 + r) % ENGLISH_VOICES.length });
              return jobs[i]!;
            };
            const line: string[] = [];
            for (const s of rotate(servers, k++)) {
              let next = 0;
              const samples: SpeechResult[] = [];
              const t0 = performance.now();
              const deadline = t0 + seconds * 1000;
              await Promise.all(Array.from({ length: c }, async () => {
                while (performance.now() < deadline) {
                  const x = await speech(s, jobAt(next++), 'mp3');
                  samples.push(x);
                  if (!x.ok) await sleep(250); // a failing server is not hammered
                }
              }));
              const wall = (performance.now() - t0) / 1000;
              const ok = samples.filter((x) => x.ok);
              const row: TputSample = {
                round: r, requests: samples.length, errors: samples.length - ok.length,
                audioSeconds: sum(ok.map((x) => x.audioSeconds)), wallSeconds: wall, firstByteMs: ok.map((x) => x.firstByteMs),
              };
              const failed = samples.filter((x) => !x.ok);
              if (failed.length) warnings.push(`throughput ×${c} round ${r + 1} on ${s.name}: ${failed.length} failed, first: ${failed[0]!.error}`);
              ((tput[c] ??= {})[s.name] ??= []).push(row);
              line.push(`${s.name} ${row.requests} req ${fmt(row.audioSeconds, 1)} s / ${fmt(wall, 1)} s = ${fmt(row.audioSeconds / wall)}`);
              await waitIdle(s);
            }
            console.log(`  round ${r + 1} ×${c}: ${line.join(', ')}`);
          }
        }
      });
    }

    // ---- cache: the same short text twice ----
    if (!flags.has('--skip-cache')) {
      console.log('\n== cache: a short text, then the same text and voice again ==');
      const m = await withMetrics('cache', async () => {
        for (let r = 0; r < rounds; r++) {
          const job: Job = { text: pool.short(), voice: (r * 11 + 3) % ENGLISH_VOICES.length };
          const line: string[] = [];
          for (const s of rotate(servers, r)) {
            const c = (cache[s.name] ??= { firstMs: [], repeatMp3Ms: [], repeatPcmMs: [], metrics: null, hits: null });
            const a = await speech(s, job, 'mp3');
            await waitIdle(s);
            const b = await speech(s, job, 'mp3');
            await waitIdle(s);
            const p = await speech(s, job, 'pcm');
            await waitIdle(s);
            for (const x of [a, b, p]) if (!x.ok) warnings.push(`cache round ${r + 1} on ${s.name}: ${x.error}`);
            c.firstMs.push(a.firstByteMs);
            c.repeatMp3Ms.push(b.firstByteMs);
            c.repeatPcmMs.push(p.firstByteMs);
            line.push(`${s.name} ${ms(a.firstByteMs)} → mp3 ${ms(b.firstByteMs)}, pcm ${ms(p.firstByteMs)} ms`);
          }
          console.log(`  round ${r + 1}: first byte, first request → repeats: ${line.join('; ')}`);
        }
      });
      for (const s of servers) {
        if (cache[s.name]) {
          cache[s.name]!.metrics = m[s.name] ?? null;
          cache[s.name]!.hits = hitsOf(m[s.name] ?? null);
        }
      }
    }

    // ---- identical vs distinct ----
    if (doIdentical) {
      console.log(`\n== 4 identical concurrent requests vs 4 distinct (${tputClass}, mp3) ==`);
      const m = await withMetrics('identical', async () => {
        let k = 0;
        for (let r = 0; r < rounds; r++) {
          const same: Job = { text: pool.take(tputClass), voice: (r * 3 + 1) % ENGLISH_VOICES.length };
          const distinct: Job[] = Array.from({ length: 4 }, () => ({ text: pool.take(tputClass), voice: same.voice }));
          const line: string[] = [];
          for (const s of rotate(servers, k++)) {
            const id = (identical[s.name] ??= { identical: [], distinct: [], hits: null });
            for (const kind of r % 2 ? ['distinct', 'identical'] as const : ['identical', 'distinct'] as const) {
              const batch = kind === 'identical' ? [same, same, same, same] : distinct;
              const t0 = performance.now();
              const rs = await Promise.all(batch.map((j) => speech(s, j, 'mp3')));
              const wall = (performance.now() - t0) / 1000;
              const ok = rs.filter((x) => x.ok);
              for (const x of rs) if (!x.ok) warnings.push(`identical (${kind}) round ${r + 1} on ${s.name}: ${x.error}`);
              id[kind].push({ round: r, requests: rs.length, errors: rs.length - ok.length, audioSeconds: sum(ok.map((x) => x.audioSeconds)), wallSeconds: wall, firstByteMs: ok.map((x) => x.firstByteMs) });
              await waitIdle(s);
            }
            const a = id.identical.at(-1)!;
            const b = id.distinct.at(-1)!;
            line.push(`${s.name} identical ${fmt(a.audioSeconds / a.wallSeconds)} vs distinct ${fmt(b.audioSeconds / b.wallSeconds)} audio s/s`);
          }
          console.log(`  round ${r + 1}: ${line.join('; ')}`);
        }
      });
      for (const s of servers) if (identical[s.name]) identical[s.name]!.hits = hitsOf(m[s.name] ?? null);
    }
  } finally {
    const stops = await Promise.all(gateways.map((g) => g.stop(15_000)));
    for (const [i, st] of stops.entries()) {
      if (st.survivors.length) warnings.push(`gateway ${gateways[i]!.pid}: engine(s) ${st.survivors.join(', ')} outlived it and were killed`);
    }
    if (peerChild) await stopPeer(peerChild);
  }

  // ---- tables ----
  const names = servers.map((s) => s.name);
  const hasPeer = names.includes('peer');
  const ratioCols = hasPeer ? ['new/off', 'new/peer'] : ['new/off'];
  const ratios = (v: Record<string, number>): string[] => (hasPeer ? [fmt(v.new! / v.off!), fmt(v.new! / v.peer!)] : [fmt(v.new! / v.off!)]);
  const summary: Record<string, Record<string, { firstByteMs: number; totalMs: number; audioSeconds: number; rtf: number }>> = {};

  if (Object.keys(lone).length) {
    for (const [key, per] of Object.entries(lone)) {
      summary[key] = {};
      for (const n of names) {
        const xs = (per[n] ?? []).filter((x) => !x.error);
        summary[key]![n] = {
          firstByteMs: median(xs.map((x) => x.firstByteMs)), totalMs: median(xs.map((x) => x.totalMs)),
          audioSeconds: median(xs.map((x) => x.audioSeconds)), rtf: median(xs.map((x) => x.rtf)),
        };
      }
    }
    const pick = (key: string, f: 'firstByteMs' | 'totalMs' | 'rtf') => Object.fromEntries(names.map((n) => [n, summary[key]![n]![f]]));
    table(`lone request: time to first audio byte, ms (median of ${rounds}; lower is better, ratio < 1 = new is faster)`,
      ['text / format', ...names, ...ratioCols],
      Object.keys(summary).map((key) => [key, ...names.map((n) => ms(summary[key]![n]!.firstByteMs)), ...ratios(pick(key, 'firstByteMs'))]));
    table(`lone request: realtime factor = audio s / wall s (median of ${rounds}; higher is better, ratio > 1 = new is faster)`,
      ['text / format', `audio s ${names.join('/')}`, ...names.map((n) => `${n} RTF`), ...ratioCols, ...names.map((n) => `${n} total ms`)],
      Object.keys(summary).map((key) => [key, names.map((n) => fmt(summary[key]![n]!.audioSeconds, 1)).join(' / '), ...names.map((n) => fmt(summary[key]![n]!.rtf)),
        ...ratios(pick(key, 'rtf')), ...names.map((n) => ms(summary[key]![n]!.totalMs))]),
      'mp3 audio seconds come from its frame headers (encoder padding counted: up to ~50 ms long); pcm from its bytes.\n' +
      'Servers may make different amounts of audio from the same text (silence trimmed, pauses): see the audio s column.');
  }

  const tputSummary: Record<number, Record<string, { requests: number; errors: number; audioPerSecond: number; firstByteP50Ms: number; firstByteP95Ms: number }>> = {};
  if (Object.keys(tput).length) {
    for (const c of levels) {
      tputSummary[c] = {};
      for (const n of names) {
        const xs = tput[c]?.[n] ?? [];
        const fb = xs.flatMap((x) => x.firstByteMs);
        tputSummary[c]![n] = {
          requests: sum(xs.map((x) => x.requests)), errors: sum(xs.map((x) => x.errors)),
          audioPerSecond: sum(xs.map((x) => x.audioSeconds)) / sum(xs.map((x) => x.wallSeconds)),
          firstByteP50Ms: percentile(fb, 50), firstByteP95Ms: percentile(fb, 95),
        };
      }
    }
    table(`throughput: aggregate audio s per wall s (${tputClass} texts, mp3, ${seconds} s × ${rounds} round(s) per level; ratio > 1 = new is faster)`,
      ['concurrent', ...names.map((n) => `${n} audio s/s`), ...ratioCols, ...names.map((n) => `${n} first byte p50/p95 ms`), ...names.map((n) => `${n} req`)],
      levels.map((c) => [c, ...names.map((n) => fmt(tputSummary[c]![n]!.audioPerSecond)),
        ...ratios(Object.fromEntries(names.map((n) => [n, tputSummary[c]![n]!.audioPerSecond]))),
        ...names.map((n) => `${ms(tputSummary[c]![n]!.firstByteP50Ms)} / ${ms(tputSummary[c]![n]!.firstByteP95Ms)}`),
        ...names.map((n) => `${tputSummary[c]![n]!.requests}${tputSummary[c]![n]!.errors ? ` (${tputSummary[c]![n]!.errors} failed)` : ''}`)]),
      'wall = first request sent → last response complete (requests in flight at the deadline finish and count).');
  }

  if (Object.keys(cache).length) {
    table(`cache: the same short text and voice twice, first byte ms (median of ${rounds})`,
      ['server', 'first request', 'repeat mp3', 'repeat pcm', `${CACHE_HITS_METRIC} (section)`, 'other cache metrics (section)'],
      names.map((n) => {
        const c = cache[n]!;
        const other = c.metrics ? Object.entries(c.metrics).filter(([k]) => k !== CACHE_HITS_METRIC).map(([k, v]) => `${k}=${v}`).join(' ') : '';
        return [n, ms(median(c.firstMs)), ms(median(c.repeatMp3Ms)), ms(median(c.repeatPcmMs)),
          n === 'peer' ? 'n/a (not ours)' : c.hits === null ? 'n/a (no metric)' : String(c.hits), other || '—'];
      }));
  }

  const identicalSummary: Record<string, { identicalAudioPerSecond: number; distinctAudioPerSecond: number; ratio: number; hits: number | null }> = {};
  if (Object.keys(identical).length) {
    for (const n of names) {
      const id = identical[n]!;
      const a = sum(id.identical.map((x) => x.audioSeconds)) / sum(id.identical.map((x) => x.wallSeconds));
      const b = sum(id.distinct.map((x) => x.audioSeconds)) / sum(id.distinct.map((x) => x.wallSeconds));
      identicalSummary[n] = { identicalAudioPerSecond: a, distinctAudioPerSecond: b, ratio: a / b, hits: id.hits };
    }
    table(`4 identical concurrent requests vs 4 distinct (${tputClass}, mp3, ${rounds} round(s); ratio < 1 = identical is slower)`,
      ['server', 'identical audio s/s', 'distinct audio s/s', 'identical/distinct', 'cache hits (section)'],
      names.map((n) => {
        const x = identicalSummary[n]!;
        return [n, fmt(x.identicalAudioPerSecond), fmt(x.distinctAudioPerSecond), fmt(x.ratio), n === 'peer' ? 'n/a' : x.hits === null ? 'n/a' : String(x.hits)];
      }));
  }

  // Targets of the latency issue, each a ratio from this run.
  const targets: { target: string; value: number; met: boolean | null }[] = [];
  const para = summary['paragraph/mp3'];
  if (para && hasPeer) {
    const v = para.new!.firstByteMs / para.peer!.firstByteMs;
    targets.push({ target: 'lone paragraph first byte new/peer ≤ 0.5', value: v, met: v <= 0.5 });
  }
  if (tputSummary[4] && hasPeer) {
    const v = tputSummary[4].new!.audioPerSecond / tputSummary[4].peer!.audioPerSecond;
    targets.push({ target: '4-concurrent throughput new/peer ≥ 1.3', value: v, met: v >= 1.3 });
  }
  const long = summary['long/mp3'];
  if (long) {
    const v = long.off!.totalMs / long.new!.totalMs;
    targets.push({ target: 'lone long total time off/new ≥ 1.6 ("off" stands for today)', value: v, met: v >= 1.6 });
  }
  if (cache.new) {
    const v = median(cache.new.repeatMp3Ms);
    targets.push({ target: 'cached repeat first byte (new, mp3) < 20 ms', value: v, met: v < 20 });
  }
  if (targets.length) {
    table('targets (ratios from this run)', ['target', 'value', 'met'],
      targets.map((t) => [t.target, fmt(t.value), t.met === null ? '—' : t.met ? 'yes' : 'NO']));
  }

  for (const [section, per] of Object.entries(sectionMetrics)) {
    if (section === 'cache' || section === 'identical') continue;
    for (const [n, d] of Object.entries(per)) {
      const h = hitsOf(d);
      if (h) warnings.push(`${n}: ${h} cache hit(s) during the ${section} section, where every text was new: the cache may have flattered it`);
    }
  }
  const wide = Object.entries(sectionMetrics).map(([section, per]) => `${section} ${per.new?.[WIDE_METRIC] ?? 'n/a'}`);
  console.log(`\nchunks "new" ran on the wide session (${WIDE_METRIC}, by section): ${wide.join(', ')}`);
  if (!Object.values(sectionMetrics).some((per) => Object.values(per).some((d) => d && CACHE_HITS_METRIC in d))) {
    notes.push(`${CACHE_HITS_METRIC} is not in our gateways' /metrics (yet): cache hits are reported as n/a`);
  }
  for (const n of notes) console.log(`note: ${n}`);
  for (const w of warnings) console.log(`WARNING: ${w}`);

  finish('latency', flags, {
    quick, rounds, seconds, levels, classes, throughputText: tputClass, formats,
    settings: { off: OFF_ENV, new: 'defaults (variables blank)', variables: [PARALLEL_CHUNKS_ENV, FIRST_CHUNK_ENV, RAMP_ENV, CACHE_ENV, WIDE_ENV] },
    layout, peer: hasPeer ? { base: servers.find((s) => s.name === 'peer')!.base, model: servers.find((s) => s.name === 'peer')!.model, probes: peerProbes } : null,
    lone: summary, throughput: tputSummary, cache, identical: identicalSummary, targets, sectionCacheMetrics: sectionMetrics,
    samples: { lone, throughput: tput, identical }, warnings, notes,
  });
}

runMain(main);
