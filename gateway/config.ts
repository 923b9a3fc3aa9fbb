// The HTTP front's settings: the `http` sub-tree of the one settings tree (settings/tree.ts).
import type { Env } from '../settings/reader.js';
import { loadGatewaySettings, type GatewayConfig } from '../settings/tree.js';

export type { GatewayConfig } from '../settings/tree.js';

/** Convenience for tests: the `http` sub-tree of loadGatewaySettings. */
export function loadConfig(env: Env): GatewayConfig {
  return loadGatewaySettings(env).http;
}
