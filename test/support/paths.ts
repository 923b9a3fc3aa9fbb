// Where tests find things: the repo root, the compiled tree, and the model files
// (KOKORO_MODELS_DIR, else ../shared/models beside the repo, as in CI).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devModelsDir } from '../../models/paths.js';

/** dist/test/support -> repo root */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const distDir = resolve(repoRoot, 'dist');
export const modelsDir = devModelsDir();
