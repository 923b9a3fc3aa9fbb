import { type AudioFormat } from './types.js';
import { SAMPLE_RATE } from '../../protocol/constants.js';
// Content-Type per response format, as OpenAI's speech API sends them.

const CONTENT_TYPES: Record<AudioFormat, string> = {
  mp3: 'audio/mpeg',
  // The bytes are an Ogg container holding Opus. audio/opus (RFC 7587) names bare RTP Opus
  // payloads, not a file; browsers and players pick a demuxer from audio/ogg.
  opus: 'audio/ogg',
  aac: 'audio/aac', // ADTS stream
  flac: 'audio/flac',
  wav: 'audio/wav',
  // Raw samples carry no header, so the rate travels in the media type.
  pcm: `audio/pcm;rate=${SAMPLE_RATE}`,
};

export function contentTypeFor(format: AudioFormat): string {
  return CONTENT_TYPES[format];
}
