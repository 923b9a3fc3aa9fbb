// What an encoder is, for everyone who uses one (the gateway, the speak CLI, benchmarks).
import type { Readable } from 'node:stream';

export const AUDIO_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
export type AudioFormat = (typeof AUDIO_FORMATS)[number];

export interface EncoderOptions {
  /** false: the whole file is produced at end() with exact sizes (a wav header with real lengths). */
  streaming: boolean;
  /**
   * Whole files only: write the body as it comes and give the bytes that belong before it (a
   * wav header with the real sizes) from header() after the output ended, for a caller that
   * stores the body itself instead of the encoder holding it all.
   */
  deferHeader?: boolean;
}

/** One request's encoder: nothing in it is ever shared with another request. */
export interface Encoder {
  readonly format: AudioFormat;
  /** Encoded bytes; ends once the container is complete. Errors if the encoder dies. */
  readonly output: Readable;
  /** PID of the encoder process, if it is one (wav and pcm are written in JS). */
  readonly pid: number | undefined;
  /** Feed one whole chunk of s16le mono 24 kHz samples; resolves when accepted. */
  write(samples: Int16Array): Promise<void>;
  /** No more input: finish the container. */
  end(): void;
  /** Stop at once and release everything (client gone, request failed). */
  destroy(): void;
  /** With `deferHeader`: the bytes that go before the output, once it ended. */
  header?(): Buffer;
  /** An in-process writer that cannot die on its own: nothing needs keeping to replay into a replacement. */
  readonly neverFails?: boolean;
}

export interface EncoderFactory {
  /** This process's private (0700) temp folder, if the factory keeps one (the gateway's spill files go there too). */
  readonly tempDir?: string;
  create(format: AudioFormat, options: EncoderOptions): Promise<Encoder>;
}
