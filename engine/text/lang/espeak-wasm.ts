// espeak-ng with every language's dictionary, as WASM: npm `@echogarden/espeak-ng-emscripten`
// (GPL-3.0, like espeak-ng itself). The `phonemizer` package used for English ships only
// en_dict and accepts only English voices, so it cannot read es/fr/hi/it/pt-br.
// Loaded on first use, so English-only engines never pay for its 24 MB of dictionaries.

export const ESPEAK_WASM_PACKAGE = '@echogarden/espeak-ng-emscripten';

interface Worker { set_voice(id: string): number; synthesize_ipa(text: string): { code: number; ipa: string } }
interface EspeakModule { eSpeakNGWorker: new () => Worker }

let worker: Promise<Worker> | undefined;

async function importModule(): Promise<() => Promise<EspeakModule>> {
  const name: string = ESPEAK_WASM_PACKAGE;
  return ((await import(name)) as { default: () => Promise<EspeakModule> }).default;
}

function getWorker(): Promise<Worker> {
  worker ??= importModule().then(async (factory) => new (await factory()).eSpeakNGWorker());
  return worker;
}

let queue: Promise<unknown> = Promise.resolve();

/** espeak-ng's IPA for `text` with voice `voiceId`: phonemes separated by '_', words by ' ',
 * clauses by '\n' (espeak_TextToPhonemes with a '_' separator). Calls are serialized. */
export function espeakIpa(text: string, voiceId: string): Promise<string> {
  const run = queue.then(async () => {
    const w = await getWorker();
    if (w.set_voice(voiceId) !== 0) throw new Error(`espeak-ng has no voice ${voiceId}`);
    const r = w.synthesize_ipa(text);
    if (r.code !== 0) throw new Error(`espeak-ng failed on ${JSON.stringify(text)} (${r.code})`);
    return r.ipa;
  });
  queue = run.catch(() => undefined);
  return run;
}
