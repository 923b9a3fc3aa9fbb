// The `info` event a Wyoming client (Home Assistant) gets for `describe`: one TTS program,
// Kokoro, with the speakable voices (the same list as GET /v1/audio/voices) and the language
// each speaks, as BCP 47 tags (en-US, en-GB) the way Home Assistant names languages.
import type { WyomingEvent } from './framing.js';

const KOKORO_ATTRIBUTION = { name: 'hexgrad', url: 'https://huggingface.co/hexgrad/Kokoro-82M' };

/** Kokoro's voice prefix letters → the language tag Home Assistant uses. */
const LANGUAGE_TAGS: Readonly<Record<string, string>> = {
  a: 'en-US', b: 'en-GB', e: 'es-ES', f: 'fr-FR', h: 'hi-IN', i: 'it-IT', j: 'ja-JP', p: 'pt-BR', z: 'zh-CN',
};
const LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  a: 'American English', b: 'British English', e: 'Spanish', f: 'French', h: 'Hindi', i: 'Italian', j: 'Japanese', p: 'Brazilian Portuguese', z: 'Chinese',
};

/** The language tag of a Kokoro voice name (af_heart → en-US), undefined when unknown. */
export function voiceLanguageTag(name: string): string | undefined {
  return LANGUAGE_TAGS[name[0] ?? ''];
}

function describeVoice(name: string): string {
  const lang = LANGUAGE_NAMES[name[0] ?? ''] ?? 'unknown language';
  const gender = name[1] === 'f' ? 'female' : name[1] === 'm' ? 'male' : undefined;
  const pretty = name.slice(name.indexOf('_') + 1).replace(/^./, (c) => c.toUpperCase());
  return `${pretty} (${lang}${gender ? `, ${gender}` : ''})`;
}

export interface InfoOptions {
  /** Speakable Kokoro voice names. */
  voices: readonly string[];
  /** Our version, shown as the program's. */
  version: string;
}

export function infoEvent(opts: InfoOptions): WyomingEvent {
  const voices = opts.voices
    .filter((name) => voiceLanguageTag(name) !== undefined)
    .map((name) => ({
      name,
      attribution: KOKORO_ATTRIBUTION,
      installed: true,
      description: describeVoice(name),
      version: null,
      languages: [voiceLanguageTag(name)!],
      speakers: null,
    }));
  const program = {
    name: 'kokoro',
    attribution: KOKORO_ATTRIBUTION,
    installed: true,
    description: 'Kokoro-82M text to speech (kokoro-gateway)',
    version: opts.version,
    voices,
    supports_synthesize_streaming: true,
  };
  return { type: 'info', data: { asr: [], tts: [program], handle: [], intent: [], wake: [], mic: [], snd: [] } };
}
