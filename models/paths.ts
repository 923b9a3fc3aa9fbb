// Where model files live when nobody says otherwise.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The per-user cache root of this project: `$XDG_CACHE_HOME/kokoro-gateway` or `~/.cache/kokoro-gateway`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return xdg && xdg.length > 0 ? join(resolve(xdg), 'kokoro-gateway') : join(homedir(), '.cache', 'kokoro-gateway');
}

/** The models directory used when KOKORO_MODELS_DIR is unset. */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'models');
}

/** KOKORO_MODELS_DIR (made absolute) when set, else the default. */
export function resolveModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.KOKORO_MODELS_DIR;
  return dir && dir.length > 0 ? resolve(dir) : defaultModelsDir(env);
}

/** Base URLs of an operator's own mirror laid out like the models directory (KOKORO_MODELS_MIRROR, comma-separated). */
export function mirrorUrlsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.KOKORO_MODELS_MIRROR ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
