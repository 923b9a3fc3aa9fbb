// `npm run phonemize -- [--lang en-us|en-gb|es|fr-fr|hi|it|pt-br|ja]`: one line of Kokoro phonemes (exactly what the
// model is fed) for every line of stdin.
import { createInterface } from 'node:readline';
import { createTextFrontEnd } from '../text/index.js';
import { ensureModels } from '../../models/fetch.js';
import { TEXT_FILES } from '../text/models-dir.js';
import { devModelsDir } from '../../models/paths.js';
import { isLang, LANGS, type Lang } from '../../protocol/constants.js';
import { resolveLang } from '../text/lang/langs.js';

function parseLang(argv: string[]): Lang {
  const i = argv.indexOf('--lang');
  const arg = i >= 0 ? argv[i + 1] : (argv.find((a) => a.startsWith('--lang='))?.slice(7) ?? 'en-us');
  const lang = arg === undefined ? undefined : resolveLang(arg);
  if (!isLang(lang)) {
    process.stderr.write(`unknown or unsupported --lang ${String(arg)} (use ${LANGS.join(', ')})\n`);
    process.exit(2);
  }
  return lang;
}

async function main(): Promise<void> {
  const lang = parseLang(process.argv.slice(2));
  const verbose = process.argv.includes('--verbose');
  const modelsDir = devModelsDir();
  await ensureModels({ dir: modelsDir, files: TEXT_FILES, log: (l) => process.stderr.write(`${l}\n`) });
  const fe = await createTextFrontEnd({
    modelsDir,
    log: verbose ? (level, msg) => process.stderr.write(`[${level}] ${msg}\n`) : undefined,
  });
  const started = process.hrtime.bigint();
  let lines = 0;
  const out: string[] = [];
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    out.push(await fe.phonemize(line, lang));
    lines++;
    if (out.length >= 256) process.stdout.write(out.splice(0).join('\n') + '\n');
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n');
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  if (verbose) process.stderr.write(`${lines} lines in ${secs.toFixed(2)} s (${(lines / secs).toFixed(0)} lines/s)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`phonemize: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
