// Where tests find things: the repo root, the compiled tree, and the model files
// (KOKORO_MODELS_DIR, else ../shared/models beside the repo, as in CI).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/test/support -> repo root */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const distDir = resolve(repoRoot, 'dist');
export const modelsDir = resolve(process.env.KOKORO_MODELS_DIR ?? resolve(repoRoot, '../shared/models'));
