// Validation of POST /v1/audio/speech bodies. Hand-written rather than a JSON schema so every
// 400 names the parameter at fault in OpenAI's words, and so NUL bytes and hostile voice
// names are refused before anything else sees them.
import { badRequest } from './api-error.js';
import { OPENAI_VOICES, resolveVoice, type VoiceMap } from './voice-map.js';
import { type Lang } from '../../protocol/constants.js';
import { readLangCode, supportedLangCodes } from './lang-codes.js';
import { AUDIO_FORMATS, type AudioFormat } from '../../audio/encode/types.js';
import { isValidSpeed, SPEED_MAX, SPEED_MIN } from '../../protocol/constants.js';

/** Model names listed; all of them run Kokoro-82M. More are accepted: see isSpeechModel. */
export const SPEECH_MODELS = ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts', 'kokoro'] as const;

/**
 * Every OpenAI speech model name, today's and future ones: `kokoro`, or any name with `tts`
 * as a whole part (`tts-1`, `tts-1-hd-1106`, `gpt-4o-mini-tts-2025-12-15`, `gpt-5-tts`).
 * `gpt-4o`, `whisper-1` and the like are not speech models.
 */
export function isSpeechModel(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'kokoro' || (n.length <= 64 && /^[a-z0-9][a-z0-9._-]*$/.test(n) && /(^|[-_.])tts([-_.]|$)/.test(n));
}

/** OpenAI's limit on `instructions`. */
export const MAX_INSTRUCTIONS_CHARS = 4096;

/** `volume_multiplier` (Kokoro-FastAPI): a gain on the samples, (0, VOLUME_MAX]. */
export const VOLUME_MAX = 4;

/**
 * Kokoro-FastAPI's `normalization_options` and the one value of each that our text front end
 * (engine/text/normalize.ts and misaki's lexicon) always behaves as; the other value is a 400.
 * `optional_pluralization_normalization` is the exception: the gateway honours both values.
 */
export const NORMALIZATION_BEHAVIOUR: Readonly<Record<string, { ours: boolean; why: string }>> = {
  normalize: { ours: true, why: 'the text front end always normalizes' },
  unit_normalization: { ours: true, why: 'units after a number are always read as words ("10 km" → "10 kilometers", "5 GB" → "5 gigabytes")' },
  url_normalization: { ours: true, why: 'web addresses are always read as a person says them ("https://" dropped, "dot", "slash")' },
  email_normalization: { ours: true, why: 'e-mail addresses are always read with "at" and "dot"' },
  phone_normalization: { ours: true, why: 'phone numbers are always read digit by digit in groups' },
  replace_remaining_symbols: { ours: true, why: 'symbols are always read as words (% & + @ # ~ *)' },
};
const OPTIONAL_PLURAL = 'optional_pluralization_normalization';

export interface SpeechRequest {
  model: string;
  input: string;
  /** Kokoro voice name or mix, mapped from OpenAI names. */
  voice: string;
  lang: Lang;
  format: AudioFormat;
  speed: number;
  /** Server-sent events (base64 audio in JSON) instead of raw audio bytes. */
  sse: boolean;
  /** false: the whole file at once with Content-Length (an extension to OpenAI's API). */
  stream: boolean;
  /** Gain applied to the samples (Kokoro-FastAPI's `volume_multiplier`), 1 = unchanged. */
  volume: number;
  /** `instructions` was sent (accepted, not applied: Kokoro has no instruction input). */
  instructions: boolean;
  /**
   * Kokoro-FastAPI's `return_download_link`: the format (`download_format`, else the response's)
   * of a copy kept as a file for a while (download-links.ts); absent when not asked for.
   */
  download?: AudioFormat;
  /** /dev/generate_from_phonemes: Kokoro phonemes to speak (`input` holds the same string). */
  phonemes?: string;
}

export interface SpeechLimits {
  maxInputChars: number;
  voices: ReadonlySet<string>;
  /** OpenAI voice names → Kokoro specs (VOICE_MAP); default: ours. */
  voiceMap?: VoiceMap;
}

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function wrongType(param: string, expected: string, v: unknown) {
  return badRequest(`Invalid type for '${param}': expected ${expected}, but got ${typeName(v)}.`, param, 'invalid_type');
}

function oneOf<T extends string>(param: string, v: unknown, allowed: readonly T[], fallback?: T): T {
  if (v === undefined && fallback !== undefined) return fallback;
  if (v === undefined) throw badRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  if (typeof v !== 'string') throw wrongType(param, 'string', v);
  if (!(allowed as readonly string[]).includes(v)) {
    throw badRequest(`Invalid value for '${param}': expected one of ${allowed.map((a) => `'${a}'`).join(', ')}.`, param);
  }
  return v as T;
}

export function parseSpeechRequest(body: unknown, limits: SpeechLimits): SpeechRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object.', null, 'invalid_json');
  }
  const b = body as Record<string, unknown>;
  if (b.model === undefined) throw badRequest("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (typeof b.model !== 'string') throw wrongType('model', 'string', b.model);
  const model = b.model;
  if (!isSpeechModel(model)) {
    throw badRequest(`Invalid value for 'model': '${printable(model)}' is not a speech model; use one of ${SPEECH_MODELS.map((a) => `'${a}'`).join(', ')} (any OpenAI *tts* name is accepted; all run Kokoro-82M).`, 'model', 'model_not_found');
  }

  if (b.input === undefined) throw badRequest("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  if (typeof b.input !== 'string') throw wrongType('input', 'string', b.input);
  let input = b.input;
  if (input.trim().length === 0) throw badRequest("'input' must contain text to speak.", 'input');
  if (input.length > limits.maxInputChars) {
    throw badRequest(`'input' is ${input.length} characters; the limit is ${limits.maxInputChars}.`, 'input', 'string_above_max_length');
  }
  if (input.includes('\u0000')) throw badRequest("'input' must not contain NUL characters.", 'input');

  let voiceRaw = b.voice;
  // The SDK also allows a voice object {id}; treat its id as the name.
  if (typeof voiceRaw === 'object' && voiceRaw !== null && !Array.isArray(voiceRaw) && 'id' in voiceRaw) {
    voiceRaw = (voiceRaw as { id: unknown }).id;
  }
  if (voiceRaw === undefined) throw badRequest("Missing required parameter: 'voice'.", 'voice', 'missing_required_parameter');
  if (typeof voiceRaw !== 'string') throw wrongType('voice', 'string', voiceRaw);
  const langCode = parseLangCode(b.lang_code);
  const voice = resolveVoice(voiceRaw, limits.voices, limits.voiceMap ?? OPENAI_VOICES, langCode);

  const format = oneOf('response_format', b.response_format, AUDIO_FORMATS, 'mp3');
  const streamFormat = oneOf('stream_format', b.stream_format, ['audio', 'sse'] as const, 'audio');

  let speed = 1;
  if (b.speed !== undefined && b.speed !== null) {
    if (typeof b.speed !== 'number' || !Number.isFinite(b.speed)) throw wrongType('speed', 'number', b.speed);
    if (!isValidSpeed(b.speed)) throw badRequest(`Invalid value for 'speed': it must be between ${SPEED_MIN} and ${SPEED_MAX.toFixed(1)}.`, 'speed');
    speed = b.speed;
  }

  if (b.instructions !== undefined && b.instructions !== null && typeof b.instructions !== 'string') {
    throw wrongType('instructions', 'string', b.instructions);
  }
  if (typeof b.instructions === 'string' && b.instructions.length > MAX_INSTRUCTIONS_CHARS) {
    throw badRequest(`'instructions' is ${b.instructions.length} characters; the limit is ${MAX_INSTRUCTIONS_CHARS}.`, 'instructions', 'string_above_max_length');
  }

  let volume = 1;
  if (b.volume_multiplier !== undefined && b.volume_multiplier !== null) {
    const v = b.volume_multiplier;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw wrongType('volume_multiplier', 'number', v);
    if (!(v > 0 && v <= VOLUME_MAX)) throw badRequest(`Invalid value for 'volume_multiplier': it must be above 0 and at most ${VOLUME_MAX}.`, 'volume_multiplier');
    volume = v;
  }

  if (readNormalization(b.normalization_options)) input = input.replace(/(?<=[A-Za-z])\(s\)/g, 's');

  let download: AudioFormat | undefined;
  if (b.return_download_link !== undefined && b.return_download_link !== null) {
    if (typeof b.return_download_link !== 'boolean') throw wrongType('return_download_link', 'boolean', b.return_download_link);
    if (b.return_download_link) download = format;
  }
  // Without return_download_link it is only checked (Kokoro-FastAPI ignores it then too).
  if (b.download_format !== undefined && b.download_format !== null) {
    const f = oneOf('download_format', b.download_format, AUDIO_FORMATS);
    if (download) download = f;
  }

  let stream = true;
  if (b.stream !== undefined && b.stream !== null) {
    if (typeof b.stream !== 'boolean') throw wrongType('stream', 'boolean', b.stream);
    stream = b.stream;
  }
  if (!stream && streamFormat === 'sse') {
    throw badRequest("'stream': false cannot be combined with 'stream_format': 'sse'.", 'stream');
  }

  return {
    model, input, voice: voice.spec, lang: voice.lang, format, speed, sse: streamFormat === 'sse', stream,
    volume, instructions: typeof b.instructions === 'string', ...(download ? { download } : {}),
  };
}

const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);

/** Kokoro-FastAPI's `lang_code` → a language we speak; undefined when absent. */
function parseLangCode(v: unknown): Lang | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw wrongType('lang_code', 'string', v);
  const r = v.length <= 16 ? readLangCode(v) : ({ error: 'unknown' } as const);
  if ('lang' in r) return r.lang;
  const supported = supportedLangCodes();
  if (r.error === 'unknown') throw badRequest(`Invalid value for 'lang_code': '${printable(v)}' is not a Kokoro language; supported: ${supported}.`, 'lang_code');
  throw badRequest(`lang_code '${printable(v)}' is not supported yet; supported: ${supported}.`, 'lang_code', 'unsupported_value');
}

/**
 * Checks `normalization_options` against what the front end does; returns whether the
 * optional pluralization rewrite ("file(s)" → "files") was asked for.
 */
function readNormalization(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  const param = 'normalization_options';
  if (typeof v !== 'object' || Array.isArray(v)) throw wrongType(param, 'object', v);
  let plural = false;
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    const known = NORMALIZATION_BEHAVIOUR[key];
    if (!known && key !== OPTIONAL_PLURAL) {
      const all = [...Object.keys(NORMALIZATION_BEHAVIOUR), OPTIONAL_PLURAL].join(', ');
      throw badRequest(`Unknown field '${param}.${printable(key)}'; known: ${all}.`, param, 'unknown_parameter');
    }
    if (value === undefined || value === null) continue;
    if (typeof value !== 'boolean') throw wrongType(`${param}.${key}`, 'boolean', value);
    if (key === OPTIONAL_PLURAL) plural = value;
    else if (value !== known!.ours) {
      throw badRequest(`${param}.${key}=${value} is not supported: ${known!.why}.`, param, 'unsupported_value');
    }
  }
  return plural;
}
