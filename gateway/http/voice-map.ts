// OpenAI voice names → Kokoro voices, and the checks every voice spec passes before it
// reaches an engine. Voices of the languages with a front end (protocol/constants.ts LANGS:
// a* b* English, e* f* h* i* p*) are spoken; j* and z* voices only with another lang_code.
// The table is chosen by VOICE_MAP: `ours` (default), `kokoro-fastapi`, or a JSON file.
import { readFileSync } from 'node:fs';
import { readVoiceSpec, VoiceError } from '../../engine/voices.js';
import { voiceLang } from '../../engine/text/lang/langs.js';
import { badRequest } from './api-error.js';
import { SettingsError } from '../../settings/reader.js';
import { isLang, type Lang } from '../../protocol/constants.js';
import { supportedLangCodes } from './lang-codes.js';

/** OpenAI voice name (lower case) → Kokoro voice spec (a name, or a mix such as `af_bella(2)+af_sky(1)`). */
export type VoiceMap = Readonly<Record<string, string>>;

/** Our table (VOICE_MAP=ours): OpenAI's names and the Kokoro voice each speaks with. */
export const OPENAI_VOICES: VoiceMap = Object.freeze({
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

/**
 * Kokoro-FastAPI's table (its api/src/core/openai_mappings.json), VOICE_MAP=kokoro-fastapi.
 * Its v0 voices do not exist in Kokoro v1.0: am_v0adam is am_adam here, af_v0bella is af_bella.
 */
export const KOKORO_FASTAPI_VOICES: VoiceMap = Object.freeze({
  alloy: 'am_adam', // Kokoro-FastAPI: am_v0adam
  ash: 'af_nicole',
  coral: 'bf_emma',
  echo: 'af_bella', // Kokoro-FastAPI: af_v0bella
  fable: 'af_sarah',
  onyx: 'bm_george',
  nova: 'bf_isabella',
  sage: 'am_michael',
  shimmer: 'af_sky',
});

export const VOICE_MAP_PRESETS: Readonly<Record<string, VoiceMap>> = Object.freeze({ ours: OPENAI_VOICES, 'kokoro-fastapi': KOKORO_FASTAPI_VOICES });

const KEY = /^[a-z0-9_]{1,64}$/;
const SPEC = /^[a-z0-9_]+(\(\d+(\.\d+)?\))?(\+[a-z0-9_]+(\(\d+(\.\d+)?\))?)*$/;

/**
 * VOICE_MAP's value → a table: a preset's name, or a JSON file `{"alloy": "af_heart", ...}`.
 * Throws an Error whose message says what is wrong (the settings loader names the variable).
 */
export function loadVoiceMap(value: string): VoiceMap {
  const preset = VOICE_MAP_PRESETS[value.toLowerCase()];
  if (preset) return preset;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(value, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? 'not valid JSON';
    throw new Error(`is neither ${Object.keys(VOICE_MAP_PRESETS).join(' nor ')} nor a readable JSON file (${why})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('file must hold a JSON object {"openai name": "kokoro voice", ...}');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    const key = k.toLowerCase();
    if (!KEY.test(key)) throw new Error(`file: the name '${k.slice(0, 64)}' must be letters, digits and _ (at most 64)`);
    if (typeof v !== 'string' || !SPEC.test(v.replace(/\s+/g, ''))) throw new Error(`file: '${key}' must map to a Kokoro voice name or mix such as "af_heart" or "af_bella(2)+af_sky(1)"`);
    out[key] = v.replace(/\s+/g, '');
  }
  return Object.freeze(out);
}

/** Every voice a table names must exist (called at start with the voices directory's listing). */
export function checkVoiceMap(map: VoiceMap, known: readonly string[], setting = 'VOICE_MAP'): void {
  const names = new Set(known);
  const missing: string[] = [];
  for (const [openai, spec] of Object.entries(map)) {
    for (const piece of spec.split('+')) {
      const name = piece.replace(/\(.*$/, '');
      if (!names.has(name)) missing.push(`${openai}→${name}`);
    }
  }
  if (missing.length > 0) throw new SettingsError([`${setting} maps to voices that are not in the voices directory: ${missing.join(', ')}`]);
}

export interface ResolvedVoice {
  /** What the engine gets: Kokoro names only, weights as the client wrote them. */
  spec: string;
  /** lang_code when given, else the first voice's language (a mix of accents takes the first one's, like Kokoro-FastAPI). */
  lang: Lang;
}

/** The language family of a Kokoro voice: its prefix letter (a and b are both English). */
const family = (name: string) => ('ab'.includes(name[0]!) ? 'en' : name[0]!);

/**
 * Maps and checks a voice spec (`alloy`, `af_bella`, `af_bella+am_adam`, `af_bella(2)+bm_george(1)`).
 * Throws a 400 ApiError naming `voice` for anything an engine could not speak.
 * `langCode`: the language the request names (lang_code); then any voice may read it (a voice
 * is only a style vector, as in Kokoro-FastAPI) and voices of different languages may mix.
 */
export function resolveVoice(raw: string, known: ReadonlySet<string>, map: VoiceMap = OPENAI_VOICES, langCode?: Lang): ResolvedVoice {
  // A mapped name alone may stand for a whole mix; inside a mix each mapped name must be one voice.
  const whole = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  const mapped = Object.hasOwn(map, whole) ? map[whole]! : undefined;
  let spec, parts;
  try {
    ({ spec, parts } = mapped !== undefined
      ? readVoiceSpec(mapped, known)
      : readVoiceSpec(raw, known, (name) => {
          if (!Object.hasOwn(map, name)) return name;
          const to = map[name]!;
          if (/[+(]/.test(to)) throw new VoiceError(`'${name}' stands for a mix and cannot be part of another mix`);
          return to;
        }));
  } catch (e) {
    if (e instanceof VoiceError) throw badRequest(`Invalid voice: ${e.message}. See GET /v1/audio/voices.`, 'voice');
    throw e;
  }
  if (langCode !== undefined) return { spec, lang: langCode };
  const families = new Set(parts.map((p) => family(p.name)));
  if (families.size > 1) {
    throw badRequest(`The voices in '${spec}' speak different languages; name the language with 'lang_code'.`, 'voice');
  }
  const first = parts[0]!.name;
  const lang = voiceLang(first);
  if (!isLang(lang)) {
    throw badRequest(`Voice '${first}' speaks ${lang ?? 'an unknown language'}, which is not supported yet; voices of ${supportedLangCodes()} can be spoken (or name another language with 'lang_code').`, 'voice', 'unsupported_value');
  }
  return { spec, lang };
}
