// The model files the text tools (phonemize, g2p:score) read; where they live is
// models/paths.ts devModelsDir (KOKORO_MODELS_DIR, else ../shared/models beside the repo,
// else the server's models dir).
import { CONFIG_FILE } from '../../models/manifest.js';

export const TEXT_FILES = [CONFIG_FILE, 'misaki/us_gold.json', 'misaki/us_silver.json', 'misaki/gb_gold.json', 'misaki/gb_silver.json'];
