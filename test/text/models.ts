// Shared by the text tests: the real lexicons and vocabulary from ../shared/models (or KOKORO_MODELS_DIR).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTextFrontEnd, type TextFrontEnd } from '../../engine/text/index.js';
import { devModelsDir } from '../../models/paths.js';

// dist/test/text/x.js -> repository root is three levels up.
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const modelsDir = devModelsDir();
export const fixtureDir = path.join(repoRoot, 'test/fixtures/g2p');

let shared: Promise<TextFrontEnd> | undefined;
export function frontEnd(): Promise<TextFrontEnd> {
  shared ??= createTextFrontEnd({ modelsDir });
  return shared;
}
