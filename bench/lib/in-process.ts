// The real model, the text front end and the voices loaded in this process (1 intra-op thread,
// ONNX Runtime as the engine loads it), for the benchmarks that time chunks without an engine.
import { join } from 'node:path';
import { loadKokoroModel } from '../../engine/inference.js';
import { loadRuntime } from '../../engine/runtime/ort.js';
import { createTextFrontEnd } from '../../engine/text/index.js';
import { Vocab } from '../../engine/text/vocab.js';
import { VoiceStore } from '../../engine/voices.js';
import { modelFiles } from '../../models/paths.js';
import { modelsDir } from './common.js';

export async function loadInProcess() {
  const dir = modelsDir();
  const files = modelFiles(dir);
  const runtime = loadRuntime({ upgradeLib: files.runtimeLibrary });
  const model = await loadKokoroModel(runtime.ort, { modelPath: files.model, threads: 1, device: 'cpu' });
  const fe = await createTextFrontEnd({ modelsDir: dir });
  return { dir, runtime, model, fe, vocab: Vocab.load(dir), voices: new VoiceStore(join(dir, 'voices')) };
}
