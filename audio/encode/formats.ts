// Per-format facts the encoders, the decoder and the tests share: the ffmpeg arguments for
// each compressed format and the timing every decoder will see.
import { SAMPLE_RATE } from '../../protocol/constants.js';
import type { AudioFormat } from './types.js';


export type FfmpegFormat = Exclude<AudioFormat, 'wav' | 'pcm'>;
export const FFMPEG_FORMATS: readonly FfmpegFormat[] = ['mp3', 'opus', 'aac', 'flac'];

export function isFfmpegFormat(format: AudioFormat): format is FfmpegFormat {
  return (FFMPEG_FORMATS as readonly string[]).includes(format);
}

/** How ffmpeg reads what every encoder is fed: s16le mono 24 kHz on stdin. */
export const PCM_INPUT_ARGS = ['-f', 's16le', '-ar', String(SAMPLE_RATE), '-ac', '1'];

interface FfmpegFormatSpec {
  muxer: string;
  /** The demuxer that reads it back. */
  demuxer: string;
  codec: string;
  /** Codec and muxer options, after -c:a. */
  args: string[];
  /** Temp-file extension for non-streaming output. */
  extension: string;
}

// Bitrates follow what OpenAI's speech API users get: 24 kHz mono, mp3 at the top MPEG-2
// Layer III rate, Opus and AAC at rates that keep speech transparent.
const SPECS: Record<FfmpegFormat, FfmpegFormatSpec> = {
  mp3: {
    muxer: 'mp3',
    demuxer: 'mp3',
    codec: 'libmp3lame',
    // No ID3v2 tag: the stream starts with audio (or, in a file, with the Xing/LAME frame
    // that carries the encoder delay and padding so decoders trim them).
    args: ['-b:a', '160k', '-id3v2_version', '0', '-write_id3v1', '0'],
    extension: 'mp3',
  },
  opus: {
    muxer: 'ogg',
    demuxer: 'ogg',
    codec: 'libopus',
    // 100 ms pages: a page per 20 ms packet would cost ~11 kbit/s of Ogg overhead.
    // Opus runs at 48 kHz inside; feeding it 48 kHz also avoids ffmpeg 4.x's libopus
    // wrapper writing the pre-skip in 24 kHz units (half the lookahead left in the output).
    args: ['-ar', '48000', '-b:a', '48k', '-page_duration', '100000'],
    extension: 'ogg',
  },
  aac: { muxer: 'adts', demuxer: 'aac', codec: 'aac', args: ['-b:a', '64k'], extension: 'aac' },
  flac: { muxer: 'flac', demuxer: 'flac', codec: 'flac', args: [], extension: 'flac' },
};

/** Output arguments (everything after the input) for one format. */
export function ffmpegOutputArgs(format: FfmpegFormat): string[] {
  const s = SPECS[format];
  return [
    '-c:a', s.codec, ...s.args,
    // No metadata and no version strings in the output.
    '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:a', '+bitexact',
    // Hand each packet to the pipe as soon as it is muxed (time to first byte).
    '-flush_packets', '1',
    '-f', s.muxer,
  ];
}

export function demuxerFor(format: FfmpegFormat): string {
  return SPECS[format].demuxer;
}

export function extensionFor(format: FfmpegFormat): string {
  return SPECS[format].extension;
}

/** Samples in one codec frame at 24 kHz: the tolerance on a decoded duration. */
export function frameSamples(format: AudioFormat): number {
  switch (format) {
    case 'mp3': return 576; // MPEG-2 Layer III
    case 'opus': return 480; // 20 ms
    case 'aac': return 1024;
    case 'flac': return 4608; // largest block ffmpeg's encoder picks
    default: return 1;
  }
}

/**
 * Leading silence a decoder cannot know to trim, in samples at 24 kHz. Audio is never lost;
 * it starts this much later. Measured with ffmpeg 4.1 and 5.1:
 * - mp3 streamed to a pipe: no Xing/LAME frame can be written (it is filled in by seeking
 *   back at the end), so LAME's 576-sample delay plus the decoder's 529 stay: 1105.
 *   A non-streaming mp3 has that frame and decodes to the exact length.
 * - aac (ADTS): the container has no field for the encoder's 1024 priming samples.
 * Opus (Ogg pre-skip and end granule) and FLAC decode to the exact length either way.
 */
export function leadingSamples(format: AudioFormat, streaming: boolean): number {
  if (format === 'mp3') return streaming ? 1105 : 0;
  if (format === 'aac') return 1024;
  return 0;
}
