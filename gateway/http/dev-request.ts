// Validation of Kokoro-FastAPI's /dev routes: POST /dev/phonemize {text, language} and
// POST /dev/generate_from_phonemes {phonemes, voice, ...}. The latter takes every field of a
// speech request but `input` (voice, speed, response_format, stream, stream_format, lang_code,
// volume_multiplier), read by parseSpeechRequest itself so the two routes cannot drift apart.
import { normalizePhonemes, PhonemeError } from '../../engine/text/phoneme-chunks.js';
import type { Vocab } from '../../engine/text/vocab.js';
import type { Lang } from '../../protocol/constants.js';
import { badRequest } from './api-error.js';
import { readLangCode, supportedLangCodes } from './lang-codes.js';
import { parseSpeechRequest, type SpeechLimits, type SpeechRequest } from './speech-request.js';

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);

function object(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('The request body must be a JSON object.', null, 'invalid_json');
  return body as Record<string, unknown>;
}

/** A required string field: present, a string, no NUL, non-blank, at most `max` characters. */
function requiredString(b: Record<string, unknown>, param: string, max: number): string {
  const v = b[param];
  if (v === undefined || v === null) throw badRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  if (typeof v !== 'string') throw badRequest(`Invalid type for '${param}': expected string, but got ${typeName(v)}.`, param, 'invalid_type');
  if (v.trim().length === 0) throw badRequest(`'${param}' must not be empty.`, param);
  if (v.length > max) throw badRequest(`'${param}' is ${v.length} characters; the limit is ${max}.`, param, 'string_above_max_length');
  if (v.includes('\u0000')) throw badRequest(`'${param}' must not contain NUL characters.`, param);
  return v;
}

export interface PhonemizeRequest {
  text: string;
  lang: Lang;
}

/**
 * {text, language}: `language` is Kokoro-FastAPI's (one-letter codes, default 'a') or a tag,
 * read like `lang_code`; ja/zh and unknown codes are a 400 naming `language`.
 */
export function parsePhonemizeRequest(body: unknown, maxChars: number): PhonemizeRequest {
  const b = object(body);
  const text = requiredString(b, 'text', maxChars);
  const language = b.language ?? 'a';
  if (typeof language !== 'string') throw badRequest(`Invalid type for 'language': expected string, but got ${typeName(language)}.`, 'language', 'invalid_type');
  const r = language.length <= 16 ? readLangCode(language) : ({ error: 'unknown' } as const);
  if ('lang' in r) return { text, lang: r.lang };
  const supported = supportedLangCodes();
  if (r.error === 'unknown') throw badRequest(`Invalid value for 'language': '${printable(language)}' is not a Kokoro language; supported: ${supported}.`, 'language');
  throw badRequest(`language '${printable(language)}' is not supported yet; supported: ${supported}.`, 'language', 'unsupported_value');
}

/**
 * {phonemes, voice, ...}: the phonemes are checked against the model's vocabulary here (every
 * character outside it named, before a slot or an engine is spent), then the rest is a speech
 * request with the phonemes standing for `input`. `model` is optional and `response_format`
 * defaults to wav (what Kokoro-FastAPI always sends on this route).
 */
export function parseGenerateFromPhonemes(body: unknown, limits: SpeechLimits, vocab: Vocab): SpeechRequest {
  const b = object(body);
  const raw = requiredString(b, 'phonemes', limits.maxInputChars);
  let phonemes: string;
  try {
    phonemes = normalizePhonemes(raw, vocab);
  } catch (err) {
    if (err instanceof PhonemeError) throw badRequest(`Invalid value for 'phonemes': ${err.message}.`, 'phonemes');
    throw err;
  }
  const r = parseSpeechRequest({ ...b, model: b.model ?? 'kokoro', response_format: b.response_format ?? 'wav', input: phonemes }, limits);
  return { ...r, input: phonemes, phonemes };
}
