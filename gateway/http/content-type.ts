// Content-Type per response format. Kept here until gateway/encode exports contentTypeFor.
import type { AudioFormat } from '../types.js';

const TYPES: Record<AudioFormat, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/ogg', // Opus in an Ogg container, as OpenAI sends it
  aac: 'audio/aac', // ADTS
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm;rate=24000;encoding=signed-int;bits=16;channels=1',
};

export function audioContentType(format: AudioFormat): string {
  return TYPES[format];
}
