// Where the text tools (phonemize, g2p:score) find config.json and misaki's lexicons:
// KOKORO_MODELS_DIR, else ../shared/models beside the repository (the development and CI
// layout), else the per-user models directory the server uses.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveModelsDir } from '../../models/paths.js';

export function defaultModelsDir(): string {
  if (process.env.KOKORO_MODELS_DIR) return process.env.KOKORO_MODELS_DIR;
  // This file compiles to dist/engine/text/models-dir.js: the repository is three levels up.
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const shared = path.resolve(repoRoot, '../shared/models');
  return existsSync(shared) ? shared : resolveModelsDir();
}

/** The model files the text front end reads. */
export const TEXT_FILES = ['config.json', 'misaki/us_gold.json', 'misaki/us_silver.json', 'misaki/gb_gold.json', 'misaki/gb_silver.json'];
