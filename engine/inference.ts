// One ONNX Runtime session for one Kokoro model: token ids + style + speed -> 24 kHz samples.
// Input and output names are read from the session, since exports differ
// (`tokens`/`audio` in kokoro-onnx's, `input_ids`/`waveform` in others).
import type { InferenceSession } from 'onnxruntime-node';
import type { Ort } from './runtime/ort.js';
import { DURATIONS_OUTPUT } from '../models/durations.js';

export interface SessionOptions {
  modelPath: string;
  /** Intra-op threads on CPU. */
  threads: number;
  /** `cpu`, or `cuda:N`. */
  device: string;
  /**
   * Whether idle intra-op threads spin waiting for work (ONNX Runtime's default). The wide
   * session turns it off: it shares the cores with other engines, and a spinning thread would
   * burn a core another engine needs (measured: 2-thread sessions in two processes on 2 cores
   * lost 15-26 % of throughput spinning, 8 % not).
   */
  spinning?: boolean;
  log?: (level: 'info' | 'warn', msg: string) => void;
}

export interface KokoroModel {
  /** The device actually in use (a CUDA request may have fallen back to `cpu`). */
  readonly device: string;
  /** `tokens` are ids without the two pad tokens; returns float samples in [-1, 1]. */
  run(tokens: ArrayLike<number>, style: Float32Array, speed: number): Promise<Float32Array>;
  /** Whether the model returns per-token durations (the derived model, models/durations.ts). */
  readonly hasDurations: boolean;
  /**
   * run(), plus the model's per-token durations (both pads included, tokens.length + 2 values,
   * in units of SAMPLES_PER_DURATION samples) when it has them, else null.
   */
  runTimed(tokens: ArrayLike<number>, style: Float32Array, speed: number): Promise<{ audio: Float32Array; durations: Uint16Array | null }>;
  release(): Promise<void>;
}

function pick(names: readonly string[], wanted: string[], role: string): string {
  const hit = wanted.find((w) => names.includes(w));
  if (!hit) throw new Error(`model has no ${role} input/output (looked for ${wanted.join(', ')}; it has ${names.join(', ')})`);
  return hit;
}

export async function loadKokoroModel(ort: Ort, opts: SessionOptions): Promise<KokoroModel> {
  const log = opts.log ?? (() => {});
  // Measured on this model (ORT 1.32, 1 thread): memory patterns off and the CPU arena on give
  // the best speed for the least memory with variable-length inputs. 150-250 token chunks ran
  // at 3.0-3.2x realtime in 410-570 MB; turning the arena off halved the speed.
  const base: InferenceSession.SessionOptions = {
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    enableMemPattern: false,
    ...(opts.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  };
  let session: InferenceSession;
  let device = opts.device;
  const cuda = /^cuda:(\d+)$/.exec(opts.device);
  if (cuda) {
    try {
      session = await ort.InferenceSession.create(opts.modelPath, {
        ...base,
        executionProviders: [{ name: 'cuda', deviceId: Number(cuda[1]) } as never],
      });
    } catch (err) {
      log('warn', `CUDA unavailable (${(err as Error).message.split('\n')[0]}); FALLING BACK TO CPU for ${opts.device}. ` +
        'GPU users install with `npm ci --onnxruntime-node-install=cuda12`.');
      device = 'cpu';
      session = await ort.InferenceSession.create(opts.modelPath, base);
    }
  } else {
    session = await ort.InferenceSession.create(opts.modelPath, base);
  }

  const tokensName = pick(session.inputNames, ['tokens', 'input_ids'], 'token');
  const styleName = pick(session.inputNames, ['style', 'ref_s'], 'style');
  const speedName = pick(session.inputNames, ['speed'], 'speed');
  const audioName = pick(session.outputNames, ['audio', 'waveform'], 'audio');
  const durationsName = session.outputNames.includes(DURATIONS_OUTPUT) ? DURATIONS_OUTPUT : null;

  const runTimed = async (tokens: ArrayLike<number>, style: Float32Array, speed: number) => {
    const ids = new BigInt64Array(tokens.length + 2); // pad id 0 at both ends
    for (let i = 0; i < tokens.length; i++) ids[i + 1] = BigInt(tokens[i]!);
    const out = await session.run({
      [tokensName]: new ort.Tensor('int64', ids, [1, ids.length]),
      [styleName]: new ort.Tensor('float32', style, [1, style.length]),
      [speedName]: new ort.Tensor('float32', new Float32Array([speed]), [1]),
    });
    const audio = out[audioName]!.data as Float32Array;
    let durations: Uint16Array | null = null;
    if (durationsName) {
      const d = out[durationsName]!.data as Float32Array;
      if (d.length !== ids.length) throw new Error(`durations output has ${d.length} values for ${ids.length} tokens`);
      // Whole numbers already (rounded, clipped to >= 1 inside the model); at most 65535 frames each.
      durations = Uint16Array.from(d, (x) => Math.min(65535, Math.max(0, Math.round(x))));
    }
    return { audio, durations };
  };

  return {
    device,
    hasDurations: durationsName !== null,
    runTimed,
    async run(tokens, style, speed) {
      return (await runTimed(tokens, style, speed)).audio;
    },
    release: () => session.release(),
  };
}

/** Float samples to s16le, clipped. */
export function toInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    out[i] = s >= 1 ? 32767 : s <= -1 ? -32768 : Math.round(s * 32767);
  }
  return out;
}
