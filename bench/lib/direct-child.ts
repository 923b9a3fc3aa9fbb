// Baseline child: runs a DirectJob with the stock onnxruntime-node runtime (or the upgraded
// one with --upgraded) and writes a DirectOutput. Started by bench/engine.ts:
//   node dist/bench/lib/direct-child.js JOB.json OUT.json [--upgraded]
import { readFileSync, writeFileSync } from 'node:fs';
import { loadKokoroModel } from '../../engine/inference.js';
import { loadRuntime } from '../../engine/runtime/ort.js';
import { modelsDir, procStatusBytes } from './common.js';
import { runText, warmUp, type DirectJob, type DirectOutput } from './direct.js';
import { modelFiles } from '../../models/paths.js';

const [jobFile, outFile] = process.argv.slice(2);
if (!jobFile || !outFile) {
  console.error('usage: direct-child.js JOB.json OUT.json [--upgraded]');
  process.exit(2);
}
const job = JSON.parse(readFileSync(jobFile, 'utf8')) as DirectJob;
const upgraded = process.argv.includes('--upgraded');
const runtime = loadRuntime({
  stockOnly: !upgraded,
  upgradeLib: modelFiles(modelsDir()).runtimeLibrary,
  log: (level, msg) => console.error(`[${level}] ${msg}`),
});
const model = await loadKokoroModel(runtime.ort, { modelPath: job.modelPath, threads: job.threads, device: 'cpu' });
if (job.texts[0]) await warmUp(model, job.texts[0]);
const out: DirectOutput = { runtime: `${runtime.version} (${runtime.source}, node)`, texts: [] };
for (const text of job.texts) {
  const runs = [];
  for (let i = 0; i < (job.reps[text.name] ?? 1); i++) runs.push(await runText(model, text));
  out.texts.push({ name: text.name, runs });
}
out.peakRssBytes = procStatusBytes(process.pid, 'VmHWM');
await model.release();
writeFileSync(outFile, JSON.stringify(out));
