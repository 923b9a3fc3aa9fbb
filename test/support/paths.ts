// Where tests find things: the repo root, the compiled tree, and the model files
// (KOKORO_MODELS_DIR, else ../shared/models beside the repo, as in CI).
import { resolve } from 'node:path';
import { REPO_ROOT, devModelsDir } from '../../models/paths.js';

export const repoRoot = REPO_ROOT;
export const distDir = resolve(repoRoot, 'dist');
export const modelsDir = devModelsDir();
