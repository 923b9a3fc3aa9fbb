// Which ffmpeg binary to run: the configured one (the gateway's FFMPEG_PATH setting), else the
// system one on PATH, else the static build shipped by @ffmpeg-installer (ffmpeg 4.1) so a bare
// machine still works.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { readOne, SettingsError, text } from '../../settings/reader.js';

export interface ResolvedFfmpeg {
  path: string;
  source: 'env' | 'system' | 'bundled';
  version: string;
}

let cached: { configured: string | undefined; resolved: ResolvedFfmpeg } | undefined;

/** FFMPEG_PATH for callers outside the gateway (tests, harness, benchmarks). */
function toolFfmpegPath(): string | undefined {
  const problems: string[] = [];
  const v = readOne(process.env, 'FFMPEG_PATH', text('file path'), problems);
  if (problems.length > 0) throw new SettingsError(problems);
  return v;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  // PATH is the system's search path, not a setting of ours.
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

/**
 * Finds ffmpeg once per process (configured > PATH > bundled); throws if none runs. The gateway
 * passes its FFMPEG_PATH setting; tests, tools and benchmarks call it bare and get, as before, the
 * FFMPEG_PATH variable (read by the one settings reader), else the system or bundled one.
 */
export function resolveFfmpeg(configured: string | undefined = toolFfmpegPath()): ResolvedFfmpeg {
  if (cached && cached.configured === configured) return cached.resolved;
  let found: Omit<ResolvedFfmpeg, 'version'> | undefined;
  if (configured) {
    found = { path: configured, source: 'env' };
  } else {
    const system = findOnPath('ffmpeg');
    const bundled = system ? undefined : bundledPath();
    if (system) found = { path: system, source: 'system' };
    else if (bundled) found = { path: bundled, source: 'bundled' };
  }
  if (!found) throw new Error('no ffmpeg found: install one on PATH, or set FFMPEG_PATH');
  cached = { configured, resolved: { ...found, version: readVersion(found.path) } };
  return cached.resolved;
}
