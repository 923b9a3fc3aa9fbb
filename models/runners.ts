// The package-manager sources: `npm pack` and `pip download`, through whatever registry or
// index the user has configured (we never name one). Tests inject fakes with the same shape.
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface PackageRunners {
  /** Packs `spec` (e.g. `kokoro-js@1.2.1`) into the empty `destDir`; resolves the .tgz path. */
  npmPack(spec: string, destDir: string): Promise<string>;
  /** Downloads the wheel for `spec` (e.g. `misaki==0.9.4`) into the empty `destDir`; resolves its path. */
  pipDownload(spec: string, destDir: string, extraArgs: readonly string[]): Promise<string>;
}

const RUN_TIMEOUT_MS = 15 * 60_000;

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: RUN_TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const code = (err as { code?: unknown }).code;
      if (code === 'ENOENT') return reject(new Error(`${cmd} not found`));
      const lastLines = String(stderr).trim().split('\n').slice(-3).join(' | ');
      reject(new Error(`${cmd} ${args.join(' ')} failed (${code ?? err.message})${lastLines ? `: ${lastLines}` : ''}`));
    });
  });
}

async function onlyFile(dir: string, suffix: string, what: string): Promise<string> {
  const found = (await readdir(dir)).filter((n) => n.endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one ${suffix} from ${what}, found ${found.length}`);
  return join(dir, found[0]!);
}

/** The real runners; `python` (the KOKORO_PYTHON setting) is the interpreter whose pip is configured. */
export function packageRunners(python = 'python3'): PackageRunners {
  return {
    async npmPack(spec, destDir) {
      const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
      await run(npm, ['pack', spec, '--pack-destination', destDir, '--ignore-scripts', '--silent']);
      return onlyFile(destDir, '.tgz', `npm pack ${spec}`);
    },
    async pipDownload(spec, destDir, extraArgs) {
      await run(python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', ...extraArgs, spec, '-d', destDir]);
      return onlyFile(destDir, '.whl', `pip download ${spec}`);
    },
  };
}

/** Callers that pass no runners (tests, tools): KOKORO_PYTHON as it is when pip runs. The gateway and engines pass packageRunners(their setting). */
export const defaultRunners: PackageRunners = {
  npmPack: (spec, destDir) => packageRunners().npmPack(spec, destDir),
  pipDownload: (spec, destDir, extraArgs) => packageRunners(process.env.KOKORO_PYTHON?.trim() || 'python3').pipDownload(spec, destDir, extraArgs),
};
