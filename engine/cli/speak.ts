// `npm run speak -- [--voice V] [--lang L] [--speed S] [--format wav|pcm|mp3|opus|aac|flac] --out FILE [TEXT]`
// Text (argument or stdin) to an audio file with the real model, in this process: no server.
// `--phonemes P` speaks Kokoro phonemes instead (what `npm run phonemize` prints), no G2P.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { finished } from 'node:stream/promises';
import { ensureModels } from '../../models/fetch.js';
import { resolveModelsDir } from '../../models/paths.js';
import { createEncoderFactory } from '../../audio/encode/index.js';
import { trimEdges } from '../edges.js';
import { loadKokoroModel, toInt16 } from '../inference.js';
import { loadRuntime } from '../runtime/ort.js';
import { createTextFrontEnd, type PreparedChunk } from '../text/index.js';
import { chunkPhonemes, normalizePhonemes } from '../text/phoneme-chunks.js';
import { Vocab } from '../text/vocab.js';
import { parseVoiceSpec, voiceLang, VoiceStore } from '../voices.js';
import { AUDIO_FORMATS, type AudioFormat } from '../../audio/encode/types.js';
import { isLang, LANGS, SAMPLE_RATE } from '../../protocol/constants.js';
import { resolveLang } from '../text/lang/langs.js';
import { isValidSpeed, SPEED_MAX, SPEED_MIN } from '../../protocol/constants.js';
import { MODEL_FILE, RUNTIME_LIBRARY_FILE } from '../../models/manifest.js';

const USAGE = 'usage: npm run speak -- [--voice af_heart] [--lang en-us|en-gb|es|fr-fr|hi|it|pt-br|ja|zh (or a b e f h i p j z; default: the voice\'s)] [--speed 1] [--format wav] [--threads N] --out FILE [TEXT | --phonemes PHONEMES]';

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const d of process.stdin) parts.push(d as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      voice: { type: 'string', default: 'af_heart' },
      lang: { type: 'string' },
      speed: { type: 'string', default: '1' },
      format: { type: 'string' },
      out: { type: 'string' },
      threads: { type: 'string', default: '2' },
      phonemes: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.out) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(values.help ? 0 : 2);
  }
  const out = values.out!;
  const format = (values.format ?? out.split('.').pop() ?? 'wav') as AudioFormat;
  if (!AUDIO_FORMATS.includes(format)) throw new Error(`unknown format '${format}' (use ${AUDIO_FORMATS.join(', ')})`);
  const speed = Number(values.speed);
  if (!isValidSpeed(speed)) throw new Error(`--speed must be between ${SPEED_MIN} and ${SPEED_MAX}`);
  if (values.phonemes !== undefined && positionals.length) throw new Error('give either TEXT or --phonemes, not both');
  const text = values.phonemes !== undefined ? '' : positionals.length ? positionals.join(' ') : await readStdin();
  if (values.phonemes === undefined && !text.trim()) throw new Error('no text: pass it as an argument or on stdin');

  const modelsDir = resolveModelsDir();
  const files = await ensureModels({ dir: modelsDir, log: (l) => process.stderr.write(`${l}\n`) });
  const voices = new VoiceStore(join(modelsDir, 'voices'));
  const parts = parseVoiceSpec(values.voice!, voices.names);
  let lang = voiceLang(parts[0]!.name);
  if (values.lang !== undefined) {
    const l = resolveLang(values.lang);
    if (!l) throw new Error(`unknown --lang ${values.lang} (use ${LANGS.join(', ')})`);
    if (!isLang(l)) throw new Error(`--lang ${values.lang} (${l}) is not supported yet (use ${LANGS.join(', ')})`);
    lang = l;
  }
  if (!lang) throw new Error(`voice ${parts[0]!.name} speaks a language that is not supported yet: pass --lang (${LANGS.join(', ')})`);

  const runtime = loadRuntime({ upgradeLib: files[RUNTIME_LIBRARY_FILE], log: (_l, m) => process.stderr.write(`${m}\n`) });
  const model = await loadKokoroModel(runtime.ort, { modelPath: files[MODEL_FILE]!, threads: Number(values.threads) || 1, device: 'cpu' });
  let chunks: PreparedChunk[];
  if (values.phonemes !== undefined) {
    // The same plan the engines make for /dev/generate_from_phonemes.
    const vocab = Vocab.load(modelsDir);
    chunks = chunkPhonemes(normalizePhonemes(values.phonemes, vocab), vocab);
    if (chunks.length === 0) throw new Error('the phonemes have nothing to speak (only punctuation)');
  } else {
    const frontEnd = await createTextFrontEnd({ modelsDir });
    chunks = await frontEnd.chunk(text, lang);
    if (chunks.length === 0) throw new Error('the text has nothing to speak');
  }

  const encoders = createEncoderFactory({ poolSize: 0 });
  const encoder = await encoders.create(format, { streaming: false });
  const file = createWriteStream(out);
  encoder.output.pipe(file);
  const started = Date.now();
  let samples = 0;
  for (const chunk of chunks) {
    const audio = toInt16(trimEdges(await model.run(chunk.tokens, voices.style(values.voice!, chunk.tokens.length), speed), chunk.tokens, speed));
    samples += audio.length;
    await encoder.write(audio);
    if (chunks.length > 1) {
      process.stderr.write(`chunk ${chunk.index + 1}/${chunks.length}: ${(samples / SAMPLE_RATE).toFixed(1)} s of audio, ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s elapsed\n`);
    }
  }
  encoder.end();
  await finished(file);
  await encoders.close();
  await model.release();
  const secs = samples / SAMPLE_RATE;
  process.stderr.write(`wrote ${out}: ${secs.toFixed(2)} s of ${format} audio in ${((Date.now() - started) / 1000).toFixed(2)} s ` +
    `(runtime ${runtime.version} ${runtime.source})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`speak: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
