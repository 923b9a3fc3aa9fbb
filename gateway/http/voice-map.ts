// OpenAI voice names → Kokoro voices, and the checks every voice spec passes before it
// reaches an engine. Only English voices (a* American, b* British) can be phonemized.
import { readVoiceSpec, VoiceError, voiceLang } from '../../engine/voices.js';
import { badRequest } from './api-error.js';
import { type Lang } from '../../protocol/constants.js';

/** The one table of OpenAI voice names and the Kokoro voice each speaks with. */
export const OPENAI_VOICES: Readonly<Record<string, string>> = Object.freeze({
  alloy: 'af_alloy', // neutral, even
  ash: 'am_michael', // warm male
  ballad: 'bm_lewis', // expressive British male
  coral: 'af_heart', // bright, friendly female
  echo: 'am_echo', // male
  fable: 'bm_fable', // British storyteller
  onyx: 'am_onyx', // deep male
  nova: 'af_nova', // young female
  sage: 'af_sarah', // calm female
  shimmer: 'af_bella', // soft, clear female
  verse: 'am_puck', // lively male
  marin: 'af_kore', // natural female (newer OpenAI voice)
  cedar: 'am_fenrir', // natural male (newer OpenAI voice)
});

export interface ResolvedVoice {
  /** What the engine gets: Kokoro names only, weights as the client wrote them. */
  spec: string;
  lang: Lang;
}

/**
 * Maps and checks a voice spec (`alloy`, `af_bella`, `af_bella+am_adam`, `af_bella(2)+bm_george(1)`).
 * Throws a 400 ApiError naming `voice` for anything an engine could not speak.
 */
export function resolveVoice(raw: string, known: ReadonlySet<string>): ResolvedVoice {
  // One pass maps OpenAI names and checks the result; the engine checks the spec again.
  let spec, parts;
  try {
    ({ spec, parts } = readVoiceSpec(raw, known, (name) => (Object.hasOwn(OPENAI_VOICES, name) ? OPENAI_VOICES[name]! : name)));
  } catch (e) {
    if (e instanceof VoiceError) throw badRequest(`Invalid voice: ${e.message}. See GET /v1/audio/voices.`, 'voice');
    throw e;
  }
  let lang: Lang | undefined;
  for (const part of parts) {
    const l = voiceLang(part.name);
    if (!l) throw badRequest(`Voice '${part.name}' is not English; only a* (American) and b* (British) voices can be spoken.`, 'voice');
    lang ??= l;
  }
  return { spec, lang: lang! };
}
