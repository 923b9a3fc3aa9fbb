// Runs every compiled test file under dist/test with node's test runner.
// Node 20 and 22+ differ in how `node --test` expands directories, so we list files here.
// End-to-end tests need the real model files: KOKORO_MODELS_DIR, else ../shared/models beside
// the repo (CI), else the per-user cache, fetched and verified first (a fresh machine).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureModels } from '../models/fetch.js';
import { devModelsDir } from '../models/paths.js';

const root = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);

// Children (engines, gateways) inherit the choice.
process.env.KOKORO_MODELS_DIR = devModelsDir();
console.log(`model files: ${process.env.KOKORO_MODELS_DIR}`);
await ensureModels({ dir: process.env.KOKORO_MODELS_DIR, log: (l) => console.log(l) });

function collect(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

// Filters match the path below dist/test (e.g. `e2e/`, `models/paths`), never the checkout's own path.
const files = collect(root).filter((f) => {
  const rel = relative(root, f).split(sep).join('/');
  return only.length === 0 || only.some((o) => rel.includes(o.replace(/^test\//, '')));
});
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// One file at a time: several suites start real engines, and this machine has 2 cores.
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
