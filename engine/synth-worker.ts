// The engine's inference thread. ONNX Runtime's run() blocks its thread for the whole
// inference, so it lives here and the I/O thread stays free to answer health checks.
// It does one job at a time, in the order the I/O thread sends them.
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { trimEdgesAt } from './edges.js';
import { SAMPLES_PER_DURATION } from '../models/durations.js';
import { loadKokoroModel, toInt16, type KokoroModel } from './inference.js';
import type { FromWorker, ToWorker, WorkerConfig } from './synth-messages.js';
import { loadRuntime } from './runtime/ort.js';
import { createTextFrontEnd, type ChunkOptions, type PreparedChunk, type TextFrontEnd } from './text/index.js';
import { VoiceStore } from './voices.js';
import { MAX_CHUNK_TOKENS } from '../protocol/constants.js';

const config = workerData as WorkerConfig;
// The same cut for /synthesize and /plan, so both give the same chunks for the same text.
const chunking: ChunkOptions = config.chunking
  ? { firstChunkTokens: config.chunking.firstChunkTokens, ...(config.chunking.ramp ? {} : { growth: Infinity }) }
  : {};
const port = parentPort!;
const send = (msg: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(msg, transfer ?? []);
const log = (level: 'debug' | 'info' | 'warn', message: string) => send({ type: 'log', level, message });

let model: KokoroModel;
/** The wide session (WIDE_THREADS), loaded once the engine is ready; null until then or without one. */
let wideModel: KokoroModel | null = null;
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
  const wide = config.wideThreads ?? 0;
  if (model.device === 'cpu' && wide > config.threads) {
    // Loaded in the job queue after ready, so it never delays start-up; a request that comes in
    // meanwhile waits for it once (~1 s). A second session: ~310 MiB more per engine, measured.
    enqueue(async () => {
      try {
        const m = await loadKokoroModel(runtime.ort, { modelPath: config.modelPath, threads: wide, spinning: false, device: 'cpu', log });
        await m.run(warm[0]?.tokens ?? [50, 83, 156], voices.style(first, warm[0]?.tokens.length ?? 3), 1);
        wideModel = m;
        send({ type: 'wide-ready', threads: wide });
      } catch (err) {
        log('warn', `wide session (${wide} threads) not loaded: ${(err as Error).message}; every chunk runs on ${config.threads} thread(s)`);
      }
    });
  }
}

async function handle(msg: Exclude<ToWorker, { type: 'cancel-plan' | 'plan' }>): Promise<void> {
  try {
    if (msg.type === 'prepare') {
      const chunks = await text.chunk(msg.text, msg.lang, chunking);
      send({ type: 'prepared', seq: msg.seq, chunks: chunks.map((c) => c.tokens) });
    } else {
      const style = voices.style(msg.voice, msg.tokens.length);
      // Edge silence trimmed here, for /infer and /synthesize alike (engine/edges.ts); the cut
      // travels with the durations so word times match the samples sent.
      const wide = msg.wide === true && wideModel !== null;
      const out = await (wide ? wideModel! : model).runTimed(msg.tokens, style, msg.speed);
      const trimmed = trimEdgesAt(out.audio, msg.tokens, msg.speed);
      const samples = toInt16(trimmed.samples);
      const timing = out.durations ? { cut: trimmed.from, samplesPerUnit: SAMPLES_PER_DURATION, durations: out.durations } : undefined;
      send({ type: 'audio', seq: msg.seq, chunk: msg.chunk, samples, ...(timing ? { timing } : {}), ...(wide ? { wide } : {}) }, [samples.buffer as ArrayBuffer]);
    }
  } catch (err) {
    const code = msg.type === 'prepare' ? 'invalid_text' : 'inference_failed';
    send({ type: 'error', seq: msg.seq, error: { code, message: (err as Error).message } });
  }
}

// Plans in progress, by seq. Each step produces one chunk and queues the next step behind
// whatever arrived meanwhile (an inference, another plan), so a book-length plan shares the
// thread with inference one chunk at a time.
const plans = new Map<number, { gen: AsyncGenerator<PreparedChunk>; chunks: number; cancelled: boolean; whole?: boolean }>();
// /phonemize: whole sentences, as TextFrontEnd.phonemize() cuts them (what g2p:score measures).
const WHOLE: ChunkOptions = { firstChunkTokens: MAX_CHUNK_TOKENS, growth: Infinity };

async function planStep(seq: number): Promise<void> {
  const p = plans.get(seq);
  if (!p) return;
  try {
    const r = p.cancelled ? { done: true as const, value: undefined } : await p.gen.next();
    if (r.done || p.cancelled) {
      plans.delete(seq);
      if (p.cancelled) await p.gen.return(undefined);
      send({ type: 'planned', seq, chunks: p.chunks, cancelled: p.cancelled });
      return;
    }
    p.chunks++;
    send({ type: 'plan-chunk', seq, index: r.value.index, tokens: r.value.tokens, text: r.value.text, words: r.value.words, ...(p.whole ? { phonemes: r.value.phonemes } : {}) });
  } catch (err) {
    plans.delete(seq);
    send({ type: 'error', seq, error: { code: 'invalid_text', message: (err as Error).message } });
    return;
  }
  // Let messages sent meanwhile (inference, cancel) in before the next step is queued.
  setImmediate(() => enqueue(() => planStep(seq)));
}

// Jobs run strictly one after another: one session, one thread budget.
let queue = Promise.resolve();
const enqueue = (job: () => Promise<void>) => {
  queue = queue.then(job);
};
port.on('message', (msg: ToWorker) => {
  if (msg.type === 'cancel-plan') {
    const p = plans.get(msg.seq);
    if (p) p.cancelled = true;
  } else if (msg.type === 'plan') {
    plans.set(msg.seq, { gen: text.chunks(msg.text, msg.lang, msg.whole ? WHOLE : chunking), chunks: 0, cancelled: false, whole: msg.whole });
    enqueue(() => planStep(msg.seq));
  } else {
    enqueue(() => handle(msg));
  }
});

start().catch((err) => {
  send({ type: 'failed', message: (err as Error).stack ?? String(err) });
});
