// Facts every floor shares (models, engine, encoders, gateway, tools), defined once.

/** Kokoro's output: mono, 24 kHz, carried as s16le between engine, gateway and encoders. */
export const SAMPLE_RATE = 24000;

/** Kokoro's context: at most 510 phoneme tokens per inference (512 with the two pad ids). */
export const MAX_CHUNK_TOKENS = 510;

/** Speaking rate accepted everywhere (OpenAI's range). */
export const SPEED_MIN = 0.25;
export const SPEED_MAX = 4;
export const isValidSpeed = (s: unknown): s is number => typeof s === 'number' && s >= SPEED_MIN && s <= SPEED_MAX;

/**
 * Languages the text front end speaks (the one list: engine/text/lang/langs.ts, the engine's
 * checks and the gateway's lang_code all read it). English through misaki's lexicons; es, fr-fr,
 * hi, it, pt-br through espeak-ng, ja through kuromoji + misaki's cutlet kana tables, zh through pinyin-pro (engine/text/lang/).
 */
export const LANGS = ['en-us', 'en-gb', 'es', 'fr-fr', 'hi', 'it', 'pt-br', 'ja', 'zh'] as const;
export type Lang = (typeof LANGS)[number];
export const isLang = (s: unknown): s is Lang => (LANGS as readonly unknown[]).includes(s);
/** Kokoro v1.0 languages known (voices, lang codes) but not spoken yet: no front end (engine/text/lang/README.md). */
export const PENDING_LANGS = [] as const;
/** Every Kokoro v1.0 language: spoken first, then pending. */
export const KNOWN_LANGS = [...LANGS, ...PENDING_LANGS] as const;
export type KnownLang = (typeof KNOWN_LANGS)[number];
