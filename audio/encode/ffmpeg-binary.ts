// Which ffmpeg binary to run: FFMPEG_PATH, else the system one on PATH, else the static
// build shipped by @ffmpeg-installer (ffmpeg 4.1) so a bare machine still works.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

export interface ResolvedFfmpeg {
  path: string;
  source: 'env' | 'system' | 'bundled';
  version: string;
}

let cached: ResolvedFfmpeg | undefined;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function bundledPath(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const mod = require('@ffmpeg-installer/ffmpeg') as { path: string };
    return isExecutable(mod.path) ? mod.path : undefined;
  } catch {
    return undefined; // no build for this platform
  }
}

/** The version string from `ffmpeg -version`; throws if the binary does not run. */
function readVersion(path: string): string {
  const r = spawnSync(path, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 10_000 });
  const m = /^ffmpeg version (\S+)/m.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) throw new Error(`ffmpeg at ${path} does not run: ${r.error?.message ?? r.stderr}`);
  return m[1];
}

/** Finds ffmpeg once per process (env FFMPEG_PATH > PATH > bundled); throws if none runs. */
export function resolveFfmpeg(): ResolvedFfmpeg {
  if (cached) return cached;
  const env = process.env.FFMPEG_PATH;
  let found: Omit<ResolvedFfmpeg, 'version'> | undefined;
  if (env) {
    found = { path: env, source: 'env' };
  } else {
    const system = findOnPath('ffmpeg');
    const bundled = system ? undefined : bundledPath();
    if (system) found = { path: system, source: 'system' };
    else if (bundled) found = { path: bundled, source: 'bundled' };
  }
  if (!found) throw new Error('no ffmpeg found: install one on PATH, or set FFMPEG_PATH');
  cached = { ...found, version: readVersion(found.path) };
  return cached;
}
