// pm2 process file for the Kokoro speech gateway (CommonJS, so pm2 can require() it on every
// Node version; ecosystem.config.js re-exports it for `pm2 start ecosystem.config.js`).
//
//   npm ci && npm run build        # pm2 runs the compiled gateway: build first
//   pm2 start ecosystem.config.js
//
// One pm2 process: the gateway in fork mode. It is itself the node:cluster primary and forks
// and supervises its engines, so pm2 must not run it in cluster mode or with instances > 1.
// Settings below may be overridden from the shell that runs `pm2 start` (PORT=9000 pm2 start ...).
const path = require('node:path');

const env = (name, fallback) => process.env[name] ?? fallback;
const drainMs = Number(env('DRAIN_MS', '30000'));

module.exports = {
  apps: [
    {
      name: env('PM2_APP_NAME', 'kokoro-gateway'),
      cwd: __dirname,
      script: path.join(__dirname, 'dist/gateway/main.js'),
      exec_mode: 'fork',
      instances: 1,
      // The gateway sends process.send('ready') once its first engine has loaded the model
      // and warmed up; pm2 counts the start as successful only then.
      wait_ready: true,
      // Model files may be verified (or fetched) and engines loaded before that: allow 2 min.
      listen_timeout: 120_000,
      // SIGINT/SIGTERM make the gateway stop accepting, drain in-flight requests for up to
      // DRAIN_MS, then stop its engines (5 s grace). pm2 must wait longer than all of that
      // before it sends SIGKILL.
      kill_timeout: drainMs + 15_000,
      // Signal only the gateway, not its process tree: the gateway drains and then stops its
      // engines itself. (pm2's default tree kill would stop the engines under live requests.)
      treekill: false,
      autorestart: true,
      // Restart a crashed gateway after 200 ms, doubling up to 15 s, reset after 30 s of uptime.
      exp_backoff_restart_delay: 200,
      // The gateway itself stays small (engines are separate processes that the gateway
      // watches); growing past this means a leak, and a restart is the safe answer.
      max_memory_restart: env('GATEWAY_MAX_MEMORY', '1G'),
      merge_logs: true,
      time: true,
      env: {
        NODE_ENV: 'production',
        PORT: env('PORT', '8880'),
        HOST: env('HOST', '0.0.0.0'),
        ENGINES: env('ENGINES', 'auto'),
        DRAIN_MS: String(drainMs),
        ...(process.env.KOKORO_MODELS_DIR ? { KOKORO_MODELS_DIR: process.env.KOKORO_MODELS_DIR } : {}),
        ...(process.env.ENGINE_URLS ? { ENGINE_URLS: process.env.ENGINE_URLS } : {}),
        ...(process.env.API_KEYS ? { API_KEYS: process.env.API_KEYS } : {}),
      },
    },
  ],
};
