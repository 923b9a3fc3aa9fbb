// Engine settings: read once by loadEngineSettings (settings/tree.ts) in engine/main.ts.
export type { EngineConfig } from '../settings/tree.js';
