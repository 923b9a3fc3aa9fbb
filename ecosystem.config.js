// `pm2 start ecosystem.config.js`: this package is "type": "module", so this file is ES
// module code. pm2 loads process files with require(), which accepts an ES module on
// Node 20.19+ and 22.12+ (their named exports become the object pm2 reads), so the settings
// live in the CommonJS ecosystem.config.cjs and are re-exported here. On an older Node 22,
// run `pm2 start ecosystem.config.cjs` instead: it is the same file.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const config = require('./ecosystem.config.cjs');

export const apps = config.apps;
export default config;
