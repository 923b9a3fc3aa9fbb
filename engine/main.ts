// Engine process entry: one ONNX Runtime session, one HTTP server. Run by the gateway as a
// cluster worker, or on its own (`node dist/engine/main.js`) as a remote engine.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { MODEL_FILE, manifestEntry } from '../models/manifest.js';
import { Vocab } from './text/vocab.js';
import { ensureModels } from '../models/fetch.js';
import { ensureDurationsModel } from '../models/durations.js';
import { packageRunners } from '../models/runners.js';
import { SettingsError } from '../settings/reader.js';
import { loadEngineSettings } from '../settings/tree.js';
import type { EngineToParent } from '../protocol/engine-ipc.js';
import { EngineServer } from './server.js';
import { SynthThread } from './synth-thread.js';
import { listVoiceNames } from './voices.js';

const config = (() => {
  try {
    return loadEngineSettings(process.env);
  } catch (err) {
    process.stderr.write(`engine failed to start: ${err instanceof SettingsError ? err.message : ((err as Error).stack ?? err)}\n`);
    process.exit(78); // EX_CONFIG
  }
})();
const tell = (msg: EngineToParent) => process.send?.(msg);
const log = (level: string, msg: string) => {
  if (level === 'debug' && !config.debug) return;
  process.stderr.write(`${JSON.stringify({ time: Date.now(), level, engine: config.id, pid: process.pid, msg })}\n`);
};

// Forked by a gateway, the files were verified already; on its own (a remote engine), check them.
if (!process.send) {
  const { cacheDir, mirrorUrls, python } = config.models;
  await ensureModels({ dir: config.modelsDir, cacheDir, mirrorUrls, runners: packageRunners(python), log: (line) => log('info', line) });
}

// Word timestamps need the model's durations: the derived model (models/durations.ts), whose
// audio is the model's own, sample for sample. Without it the engine speaks, untimed.
const timedModel = await ensureDurationsModel({
  modelPath: resolve(config.modelPath), modelsDir: resolve(config.modelsDir), cacheDir: config.models.cacheDir, log,
});

const thread = new SynthThread(
  {
    modelsDir: config.modelsDir,
    modelPath: timedModel ?? config.modelPath,
    threads: config.threads,
    wideThreads: config.wideThreads,
    device: config.device,
    upgradeLib: config.upgradeLib,
    chunking: config.chunking,
  },
  log,
  (err) => {
    // Without its inference thread an engine is useless: exit, and the supervisor restarts it.
    log('error', `inference thread lost: ${err.message}`);
    tell({ type: 'engine-failed', message: err.message });
    process.exit(70);
  },
);

// The model's identity for /health (and the gateway's chunk cache): the manifest's hash for
// the default file (verified when it was fetched), else the file hashed once now, streaming,
// while the model loads. The engine says it is ready only once this is known.
let modelSha256: string | undefined;
const hashed: Promise<void> = (async () => {
  if (resolve(config.modelPath) === resolve(config.modelsDir, MODEL_FILE)) {
    modelSha256 = manifestEntry(MODEL_FILE)!.sha256;
    return;
  }
  const h = createHash('sha256');
  for await (const data of createReadStream(config.modelPath)) h.update(data as Buffer);
  modelSha256 = h.digest('hex');
})();

const vocab = Vocab.load(config.modelsDir);
const server = new EngineServer({
  thread,
  voiceNames: new Set(listVoiceNames(resolve(config.modelsDir, 'voices'))),
  modelPath: config.modelPath,
  threads: config.threads,
  maxActive: config.maxActive,
  heartbeatMs: config.heartbeatMs,
  maxBodyBytes: config.maxBodyBytes,
  maxTokenId: vocab.maxId(),
  vocab,
  chunking: { firstChunkTokens: config.chunking.firstChunkTokens, ...(config.chunking.ramp ? {} : { growth: Infinity }) },
  modelSha256: () => modelSha256,
  maxTextChars: config.maxTextChars,
  token: config.token,
  log,
});

// `exclusive`: as a cluster worker, listen on our own socket instead of sharing the primary's.
server.http.listen({ host: config.host, port: config.port, exclusive: true }, () => {
  const addr = server.http.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  log('info', `listening on ${config.host}:${port}`);
  tell({ type: 'engine-listening', host: config.host, port });
});

Promise.all([thread.ready, hashed]).then(
  ([info]) => {
    server.markReady(info);
    log('info', `ready: runtime ${info.runtime} (${info.runtimeSource}), device ${info.device}, ${config.threads} thread(s)`);
    tell({ type: 'engine-ready', runtime: info.runtime, device: info.device });
  },
  (err) => {
    log('error', `failed to start: ${err.message}`);
    tell({ type: 'engine-failed', message: err.message });
    process.exit(70);
  },
);

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    server.http.close();
    void thread.terminate().finally(() => process.exit(0));
  });
}
process.on('disconnect', () => process.exit(0)); // parent gone: never outlive it
