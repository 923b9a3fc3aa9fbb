// The one rule for where model files and per-user caches live. Everything that looks for the
// models (server, engine, CLIs, tests, stress, benchmarks) asks here.
//
//   cache root   KOKORO_CACHE_DIR, else $XDG_CACHE_HOME/kokoro-gateway, else ~/.cache/kokoro-gateway
//                (the ONNX Runtime 1.32 copy, verification stamps of read-only model dirs)
//   models dir   KOKORO_MODELS_DIR, else <cache root>/models               (resolveModelsDir)
//   dev models   KOKORO_MODELS_DIR, else ../shared/models beside the repository when it exists
//                (the development and CI layout), else the models dir       (devModelsDir)
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_FILE, MODEL_FILE, RUNTIME_LIBRARY_FILE } from './manifest.js';

type Env = Record<string, string | undefined>;

/** A variable that is set and not blank. */
const given = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v ? v : undefined;
};

/** The repository root (this file compiles to dist/models/paths.js). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The per-user cache root of this project. */
export function cacheRoot(env: Env = process.env): string {
  const own = given(env, 'KOKORO_CACHE_DIR');
  if (own) return resolve(own);
  const xdg = given(env, 'XDG_CACHE_HOME');
  return xdg ? join(resolve(xdg), 'kokoro-gateway') : join(homedir(), '.cache', 'kokoro-gateway');
}

/** Where the patched ONNX Runtime package copy is built. */
export function runtimeCacheDir(env: Env = process.env): string {
  return join(cacheRoot(env), 'runtime');
}

/** The models directory used when KOKORO_MODELS_DIR is unset. */
export function defaultModelsDir(env: Env = process.env): string {
  return join(cacheRoot(env), 'models');
}

/** The server's models directory: KOKORO_MODELS_DIR (made absolute) when set, else the default. */
export function resolveModelsDir(env: Env = process.env): string {
  const dir = given(env, 'KOKORO_MODELS_DIR');
  return dir ? resolve(dir) : defaultModelsDir(env);
}

/** The dev mirror beside the repository (CI's layout), if there is one. */
export const DEV_MIRROR = resolve(REPO_ROOT, '../shared/models');

/** Tests, stress, benchmarks and the text tools: KOKORO_MODELS_DIR, else the dev mirror, else the server's dir. */
export function devModelsDir(env: Env = process.env): string {
  if (given(env, 'KOKORO_MODELS_DIR')) return resolveModelsDir(env);
  return existsSync(DEV_MIRROR) ? DEV_MIRROR : resolveModelsDir(env);
}

/** Paths of the files every engine loads, inside a models directory. */
export function modelFiles(modelsDir: string) {
  return {
    model: join(modelsDir, MODEL_FILE),
    config: join(modelsDir, CONFIG_FILE),
    runtimeLibrary: join(modelsDir, RUNTIME_LIBRARY_FILE),
    voices: join(modelsDir, 'voices'),
  };
}

/** Base URLs of an operator's own mirror laid out like the models directory (KOKORO_MODELS_MIRROR, comma-separated). */
export function mirrorUrlsFromEnv(env: Env = process.env): string[] {
  return (env.KOKORO_MODELS_MIRROR ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
