// Validation of POST /v1/audio/speech bodies. Hand-written rather than a JSON schema so every
// 400 names the parameter at fault in OpenAI's words, and so NUL bytes and hostile voice
// names are refused before anything else sees them.
import { badRequest } from './api-error.js';
import { resolveVoice } from './voice-map.js';
import { type Lang } from '../../protocol/constants.js';
import { AUDIO_FORMATS, type AudioFormat } from '../../audio/encode/types.js';
import { isValidSpeed, SPEED_MAX, SPEED_MIN } from '../../protocol/constants.js';

/** Model names accepted; all of them run Kokoro-82M. */
export const SPEECH_MODELS = ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts', 'kokoro'] as const;

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
}

export interface SpeechLimits {
  maxInputChars: number;
  voices: ReadonlySet<string>;
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
  const model = oneOf('model', b.model, SPEECH_MODELS);

  if (b.input === undefined) throw badRequest("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  if (typeof b.input !== 'string') throw wrongType('input', 'string', b.input);
  const input = b.input;
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
  const voice = resolveVoice(voiceRaw, limits.voices);

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

  let stream = true;
  if (b.stream !== undefined && b.stream !== null) {
    if (typeof b.stream !== 'boolean') throw wrongType('stream', 'boolean', b.stream);
    stream = b.stream;
  }
  if (!stream && streamFormat === 'sse') {
    throw badRequest("'stream': false cannot be combined with 'stream_format': 'sse'.", 'stream');
  }

  return { model, input, voice: voice.spec, lang: voice.lang, format, speed, sse: streamFormat === 'sse', stream };
}
