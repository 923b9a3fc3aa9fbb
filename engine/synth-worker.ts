// The engine's inference thread. ONNX Runtime's run() blocks its thread for the whole
// inference, so it lives here and the I/O thread stays free to answer health checks.
// It does one job at a time, in the order the I/O thread sends them.
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { loadKokoroModel, toInt16, type KokoroModel } from './inference.js';
import type { FromWorker, ToWorker, WorkerConfig } from './synth-messages.js';
import { loadRuntime } from './runtime/ort.js';
import { createTextFrontEnd, type TextFrontEnd } from './text/index.js';
import { VoiceStore } from './voices.js';

const config = workerData as WorkerConfig;
const port = parentPort!;
const send = (msg: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(msg, transfer ?? []);
const log = (level: 'debug' | 'info' | 'warn', message: string) => send({ type: 'log', level, message });

let model: KokoroModel;
let text: TextFrontEnd;
let voices: VoiceStore;

async function start(): Promise<void> {
  const runtime = loadRuntime({
    upgradeLib: config.upgradeLib,
    stockOnly: config.device !== 'cpu',
    log,
  });
  // The session loads on ONNX Runtime's threads while the lexicons parse here: start both.
  [model, text] = await Promise.all([
    loadKokoroModel(runtime.ort, { modelPath: config.modelPath, threads: config.threads, device: config.device, log }),
    createTextFrontEnd({ modelsDir: config.modelsDir, log }),
  ]);
  voices = new VoiceStore(join(config.modelsDir, 'voices'));
  // Warm-up: the first run allocates the arena and is several times slower than the rest.
  const warm = await text.chunk('Warming up.', 'en-us');
  const first = voices.names.values().next().value as string;
  await model.run(warm[0]?.tokens ?? [50, 83, 156], voices.style(first, warm[0]?.tokens.length ?? 3), 1);
  send({ type: 'ready', runtime: runtime.version, runtimeSource: runtime.source, device: model.device });
}

async function handle(msg: ToWorker): Promise<void> {
  try {
    if (msg.type === 'prepare') {
      const chunks = await text.chunk(msg.text, msg.lang);
      send({ type: 'prepared', id: msg.id, chunks: chunks.map((c) => c.tokens) });
    } else {
      const style = voices.style(msg.voice, msg.tokens.length);
      const samples = toInt16(await model.run(msg.tokens, style, msg.speed));
      send({ type: 'audio', id: msg.id, chunk: msg.chunk, samples }, [samples.buffer as ArrayBuffer]);
    }
  } catch (err) {
    const code = msg.type === 'prepare' ? 'invalid_text' : 'inference_failed';
    send({ type: 'error', id: msg.id, error: { code, message: (err as Error).message } });
  }
}

// Jobs run strictly one after another: one session, one thread budget.
let queue = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  queue = queue.then(() => handle(msg));
});

start().catch((err) => {
  send({ type: 'failed', message: (err as Error).stack ?? String(err) });
});
