// bench:engine — one engine process against session.run itself.
//
// For each intra-op thread count: a real engine (dist/engine/main.js, forked as the gateway
// forks it) synthesizes a fixed text set over its HTTP frame protocol, and in the same run,
// interleaved text by text, the same chunks' token ids and style vectors go straight to
// session.run in this process (ONNX Runtime 1.32, as the engine loads it). The engine's
// figures over the baseline's are the engine's own overhead (target ≥ 0.95). For contrast:
// the stock onnxruntime-node 1.30 runtime (a child process) and, when importable, Python
// onnxruntime on the very same inputs.
//
//   npm run bench:engine -- [--quick] [--threads 1,2] [--reps N] [--voice V]
//                           [--no-stock] [--no-python] [--json FILE]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadKokoroModel } from '../engine/inference.js';
import { loadRuntime } from '../engine/runtime/ort.js';
import { createTextFrontEnd } from '../engine/text/index.js';
import { VoiceStore } from '../engine/voices.js';
import { detectPython, runChild } from './lib/children.js';
import { DIST, Flags, REPO_ROOT, finish, fmt, max, median, mib, modelsDir, ms, runMain, table, warnIfBusy } from './lib/common.js';
import { runText, warmUp, type DirectJob, type DirectOutput, type DirectRun, type TextInput } from './lib/direct.js';
import { engineSynthesize, type EngineStreamTiming } from './lib/http.js';
import { startBenchEngine } from './lib/procs.js';
import { ENGINE_TEXTS, wordCount } from './texts.js';
import { SAMPLE_RATE } from '../protocol/constants.js';
import { modelFiles } from '../models/paths.js';

interface Row {
  threads: number;
  text: string;
  runner: string;
  runtime: string;
  runs: number;
  chunks: number;
  audioSeconds: number;
  /** Audio seconds per wall second (median over runs). */
  speed: number;
  firstChunkMs: number;
  chunkP50Ms: number;
  chunkMaxMs: number;
  peakRssBytes?: number;
  /** speed / the in-process session.run baseline's speed, same threads and text. */
  speedVsDirect?: number;
}

interface RunFigures {
  totalMs: number;
  samples: number;
  firstChunkMs: number;
  chunkMs: number[];
}

function summarize(base: Omit<Row, 'runs' | 'chunks' | 'audioSeconds' | 'speed' | 'firstChunkMs' | 'chunkP50Ms' | 'chunkMaxMs'>, runs: RunFigures[], chunks: number): Row {
  const all = runs.flatMap((r) => r.chunkMs);
  return {
    ...base,
    runs: runs.length,
    chunks,
    audioSeconds: (runs[0]?.samples ?? 0) / SAMPLE_RATE,
    speed: median(runs.map((r) => r.samples / SAMPLE_RATE / (r.totalMs / 1000))),
    firstChunkMs: median(runs.map((r) => r.firstChunkMs)),
    chunkP50Ms: median(all),
    chunkMaxMs: max(all),
  };
}

const fromDirect = (r: DirectRun): RunFigures => ({
  totalMs: r.chunkMs.reduce((a, b) => a + b, 0), samples: r.samples, firstChunkMs: r.chunkMs[0] ?? NaN, chunkMs: r.chunkMs,
});
const fromEngine = (t: EngineStreamTiming): RunFigures => ({
  totalMs: t.totalMs, samples: t.samples, firstChunkMs: t.firstAudioMs, chunkMs: t.chunkMs,
});

async function main(): Promise<void> {
  const flags = new Flags();
  const quick = flags.has('--quick');
  const threadsList = flags.ints('--threads', [1, 2]);
  const reps = Math.round(flags.num('--reps', 2));
  const voice = flags.str('--voice') ?? 'af_heart';
  const texts = ENGINE_TEXTS.filter((t) => !quick || t.name !== 'long');
  const repsFor: Record<string, number> = Object.fromEntries(texts.map((t) => [t.name, t.name === 'short' ? reps * 3 : reps]));

  console.log('bench:engine — engine process vs session.run on the same chunks');
  warnIfBusy();
  const dir = modelsDir();
  const modelPath = process.env.KOKORO_MODEL_FILE ? resolve(process.env.KOKORO_MODEL_FILE) : modelFiles(dir).model;
  const upgradeLib = modelFiles(dir).runtimeLibrary;

  // The same chunks the engine makes: its worker calls text.chunk(text, lang) with defaults.
  const front = await createTextFrontEnd({ modelsDir: dir });
  const voices = new VoiceStore(join(dir, 'voices'));
  const inputs: TextInput[] = [];
  const g2pMs: Record<string, number> = {};
  for (const t of texts) {
    const t0 = performance.now();
    const chunks = await front.chunk(t.text, 'en-us');
    g2pMs[t.name] = performance.now() - t0;
    inputs.push({ name: t.name, chunks: chunks.map((c) => ({ tokens: c.tokens, style: Array.from(voices.style(voice, c.tokens.length)) })) });
  }
  table('texts (chunks as the engine makes them; G2P = text front end time in this process, paid by the engine before chunk 1)',
    ['text', 'words', 'chunks', 'tokens per chunk', 'G2P ms'],
    texts.map((t, i) => [t.name, wordCount(t.text), inputs[i]!.chunks.length, inputs[i]!.chunks.map((c) => c.tokens.length).join(' '), ms(g2pMs[t.name])]));

  const runtime = loadRuntime({ upgradeLib, log: (level, msg) => console.log(`[${level}] ${msg}`) });
  const directLabel = `${runtime.version} (${runtime.source})`;
  console.log(`\nin-process baseline runtime: ONNX Runtime ${directLabel}`);
  const py = flags.has('--no-python') ? { python: 'python3', problem: 'skipped (--no-python)' } : detectPython();
  if (py.problem) {
    console.log(`Python baseline: skipped — ${py.problem}`);
    if (!flags.has('--no-python')) console.log('  to include it: pip install onnxruntime==1.32.0 numpy   (or set BENCH_PYTHON to an interpreter that has them)');
  } else {
    console.log(`Python baseline: ${py.python}, onnxruntime ${py.ortVersion}` +
      (py.ortVersion!.startsWith('1.32.') ? '' : ' (not 1.32: figures are for that version; pip install onnxruntime==1.32.0 for the intended comparison)'));
  }

  const tmp = mkdtempSync(join(tmpdir(), 'bench-engine-'));
  const rows: Row[] = [];
  const engineRuntimes: Record<string, string> = {};
  const warnings: string[] = [];
  try {
    for (const threads of threadsList) {
      console.log(`\n== ${threads} intra-op thread(s) ==`);
      const engine = await startBenchEngine({ threads });
      const health = await engine.health();
      engineRuntimes[threads] = health.runtime;
      console.log(`engine pid ${engine.pid} at ${engine.origin}: /health runtime ${health.runtime}, device ${health.device}, ${health.threads} thread(s)`);
      const model = await loadKokoroModel(runtime.ort, { modelPath, threads, device: 'cpu' });
      await warmUp(model, inputs[0]!);

      const engineRuns: Record<string, RunFigures[]> = {};
      const directRuns: Record<string, RunFigures[]> = {};
      const engineRss: Record<string, number | undefined> = {};
      try {
        for (const [i, t] of texts.entries()) {
          const input = inputs[i]!;
          engineRuns[t.name] = [];
          directRuns[t.name] = [];
          // Interleaved, so a change in background load hits both sides alike.
          for (let r = 0; r < repsFor[t.name]!; r++) {
            const e = await engineSynthesize(engine.origin, { text: t.text, voice, speed: 1 });
            const want = input.chunks.map((c) => c.tokens.length).join(',');
            if (e.chunkTokens.join(',') !== want) {
              warnings.push(`${t.name}: engine chunks (${e.chunkTokens.join(',')}) differ from this process's (${want})`);
            }
            engineRuns[t.name]!.push(fromEngine(e));
            directRuns[t.name]!.push(fromDirect(await runText(model, input)));
            process.stdout.write(`  ${t.name} run ${r + 1}/${repsFor[t.name]}: engine ${fmt(e.audioSeconds / (e.totalMs / 1000))}x, ` +
              `direct ${fmt(directRuns[t.name]!.at(-1)!.samples / SAMPLE_RATE / (directRuns[t.name]!.at(-1)!.totalMs / 1000))}x realtime\n`);
          }
          engineRss[t.name] = engine.peakRss(); // VmHWM only grows: read after each text, shortest first
        }
      } finally {
        await engine.stop();
        await model.release();
      }
      for (const [i, t] of texts.entries()) {
        const chunks = inputs[i]!.chunks.length;
        const d = summarize({ threads, text: t.name, runner: 'session.run (this process)', runtime: directLabel }, directRuns[t.name]!, chunks);
        const e = summarize({ threads, text: t.name, runner: 'engine (HTTP frames)', runtime: health.runtime, peakRssBytes: engineRss[t.name] }, engineRuns[t.name]!, chunks);
        e.speedVsDirect = e.speed / d.speed;
        d.speedVsDirect = 1;
        rows.push(e, d);
      }

      // The same job file for the stock runtime child and Python.
      const job: DirectJob = { modelPath, threads, reps: Object.fromEntries(texts.map((t) => [t.name, 1])), texts: inputs };
      const jobFile = join(tmp, `job-${threads}.json`);
      writeFileSync(jobFile, JSON.stringify(job));
      const contrast: [string, string, string[]][] = [];
      if (!flags.has('--no-stock')) contrast.push(['stock runtime (child)', process.execPath, [join(DIST, 'bench/lib/direct-child.js'), jobFile]]);
      if (!py.problem) contrast.push(['python onnxruntime', py.python, [join(REPO_ROOT, 'bench/lib/ort_python.py'), jobFile]]);
      for (const [runner, cmd, args] of contrast) {
        const outFile = join(tmp, `out-${threads}-${runner.split(' ')[0]}.json`);
        console.log(`  ${runner}: running (${texts.map((t) => t.name).join(', ')}, 1 run each)`);
        const r = await runChild(cmd, [...args, outFile], { timeoutMs: 30 * 60_000 });
        if (r.code !== 0) {
          warnings.push(`${runner} (${threads} threads) failed (${r.code ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
          continue;
        }
        const out = JSON.parse(readFileSync(outFile, 'utf8')) as DirectOutput;
        for (const [i, t] of out.texts.entries()) {
          const direct = rows.find((x) => x.threads === threads && x.text === t.name && x.runner.startsWith('session.run'));
          const row = summarize({ threads, text: t.name, runner, runtime: out.runtime, peakRssBytes: out.peakRssBytes }, t.runs.map(fromDirect), inputs[i]!.chunks.length);
          row.speedVsDirect = direct ? row.speed / direct.speed : undefined;
          rows.push(row);
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  for (const threads of threadsList) {
    table(`${threads} thread(s): engine runtime per /health: ${engineRuntimes[threads] ?? '?'}`,
      ['text', 'runner', 'runtime', 'runs', 'audio s', 'x realtime', 'vs direct', 'first chunk ms', 'chunk p50 ms', 'chunk max ms', 'peak RSS MiB'],
      rows.filter((r) => r.threads === threads).map((r) => [
        r.text, r.runner, r.runtime, r.runs, fmt(r.audioSeconds, 1), fmt(r.speed), fmt(r.speedVsDirect), ms(r.firstChunkMs),
        ms(r.chunkP50Ms), ms(r.chunkMaxMs), mib(r.peakRssBytes),
      ]));
  }
  const overhead = rows.filter((r) => r.runner.startsWith('engine'));
  table('engine overhead: engine x realtime / session.run x realtime (target ≥ 0.95); first chunk includes the engine\'s G2P of the whole text',
    ['threads', 'text', 'speed ratio', 'first chunk: engine / direct ms', 'target met'],
    overhead.map((r) => {
      const d = rows.find((x) => x.threads === r.threads && x.text === r.text && x.runner.startsWith('session.run'))!;
      return [r.threads, r.text, fmt(r.speedVsDirect, 3), `${ms(r.firstChunkMs)} / ${ms(d.firstChunkMs)}`, (r.speedVsDirect ?? 0) >= 0.95 ? 'yes' : 'NO'];
    }),
    'peak RSS is the engine process VmHWM after each text (cumulative: texts run shortest first); target ≤ 700 MiB.');
  for (const w of warnings) console.log(`WARNING: ${w}`);
  finish('engine', flags, {
    quick, threads: threadsList, voice, reps: repsFor, engineRuntime: engineRuntimes, g2pMs,
    python: py.problem ? { skipped: py.problem } : { python: py.python, onnxruntime: py.ortVersion },
    rows, warnings,
  });
}

runMain(main);
