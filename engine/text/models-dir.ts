// Where the text front end finds config.json and misaki's lexicons during development.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** KOKORO_MODELS_DIR, else ../shared/models beside the repository (dev and CI layout). */
export function defaultModelsDir(): string {
  if (process.env.KOKORO_MODELS_DIR) return process.env.KOKORO_MODELS_DIR;
  // This file compiles to dist/engine/text/models-dir.js: the repository is three levels up.
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const shared = path.resolve(repoRoot, '../shared/models');
  return existsSync(shared) ? shared : path.resolve(repoRoot, 'models-cache');
}
