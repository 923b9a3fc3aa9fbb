// Kokoro v1.0's languages: our tags, Kokoro-FastAPI's one-letter lang codes, voice prefixes.
// Plain data (no WASM, no model files): the gateway imports it. The lists of tags themselves are
// protocol/constants.ts's (LANGS spoken, PENDING_LANGS known but not spoken yet).
import { isLang, KNOWN_LANGS, type KnownLang, type Lang } from '../../../protocol/constants.js';

export const ALL_LANGS = KNOWN_LANGS;
export type AnyLang = KnownLang;
/** Languages read through espeak-ng with misaki's EspeakG2P mapping. */
export const ESPEAK_LANGS = ['es', 'fr-fr', 'hi', 'it', 'pt-br'] as const;
export type EspeakLang = (typeof ESPEAK_LANGS)[number];
export const isEspeakLang = (s: unknown): s is EspeakLang => (ESPEAK_LANGS as readonly unknown[]).includes(s);

/** Kokoro-FastAPI / KPipeline one-letter codes; also the first letter of every voice name (af_heart -> a). */
export const LANG_CODE: Record<string, AnyLang> = {
  a: 'en-us', b: 'en-gb', e: 'es', f: 'fr-fr', h: 'hi', i: 'it', p: 'pt-br', j: 'ja', z: 'zh',
};
const ALIASES: Record<string, AnyLang> = {
  'en-us': 'en-us', en: 'en-us', 'en-gb': 'en-gb', es: 'es', 'es-es': 'es', fr: 'fr-fr', 'fr-fr': 'fr-fr',
  hi: 'hi', 'hi-in': 'hi', it: 'it', 'it-it': 'it', 'pt-br': 'pt-br', pt: 'pt-br', ja: 'ja', 'ja-jp': 'ja',
  zh: 'zh', 'zh-cn': 'zh', cmn: 'zh',
};

/** A request's lang_code (one-letter code or tag, any case) -> our tag; undefined when unknown. */
export function resolveLang(code: string): AnyLang | undefined {
  const c = code.trim().toLowerCase().replace('_', '-');
  return LANG_CODE[c] ?? ALIASES[c];
}

/** The language a voice speaks, from its prefix letter ("ef_dora" -> es); undefined when unknown. */
export function voiceLang(voice: string): AnyLang | undefined {
  return /^[a-z][fm]_/.test(voice) ? LANG_CODE[voice[0]] : undefined;
}

/** The language a voice speaks when it is one the front end speaks (not zh yet). */
export function spokenVoiceLang(voice: string): Lang | undefined {
  const l = voiceLang(voice);
  return isLang(l) ? l : undefined;
}

/** Gender from the voice prefix's second letter. */
export function voiceGender(voice: string): 'female' | 'male' | undefined {
  return voice[1] === 'f' ? 'female' : voice[1] === 'm' ? 'male' : undefined;
}

/** espeak-ng voice identifiers (not language names: the WASM builds keep the previous voice's
 * rules when switched by name) for the espeak languages; the same voices phonemizer picks for
 * misaki's language names es, fr-fr, hi, it, pt-br. */
export const ESPEAK_VOICE: Record<EspeakLang, string> = {
  es: 'roa/es', 'fr-fr': 'roa/fr', hi: 'inc/hi', it: 'roa/it', 'pt-br': 'roa/pt-BR',
};
