// Hands each request its own encoder: a fresh ffmpeg child (from the warm pool when one is
// ready) for mp3, opus, aac and flac; a JS writer for wav and pcm. Nothing is shared.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FfmpegEncoder } from './ffmpeg-encoder.js';
import { resolveFfmpeg } from './ffmpeg-binary.js';
import { spawnFfmpeg, type FfmpegChild } from './ffmpeg-process.js';
import { FFMPEG_FORMATS, PCM_INPUT_ARGS, extensionFor, ffmpegOutputArgs, isFfmpegFormat, type FfmpegFormat } from './formats.js';
import { JsEncoder } from './js-encoder.js';
import { TEMP_PREFIX, removeStaleTempFiles } from './stale-files.js';
import { WarmPool, type PoolStats } from './warm-pool.js';
import { type AudioFormat, type Encoder, type EncoderFactory, type EncoderOptions } from './types.js';

/**
 * Pool keys: the format for streaming children (writing to stdout), `<format>:file` for
 * non-streaming ones (writing a seekable temp file, so mp3 gets its Xing/LAME frame and
 * flac its STREAMINFO totals).
 */
export type PoolKey = FfmpegFormat | `${FfmpegFormat}:file`;
export const POOL_KEYS: readonly PoolKey[] = FFMPEG_FORMATS.flatMap((f) => [f, `${f}:file` as const]);

export interface EncoderFactoryOptions {
  /** ffmpeg binary; default resolveFfmpeg().path. */
  ffmpegPath?: string;
  /** Idle children per pool key: one number for all, or per key (0 disables). */
  poolSize?: number | Partial<Record<PoolKey, number>>;
  /** Where non-streaming output files go; default the OS temp directory. */
  tmpDir?: string;
}

/** Streaming is what most requests use; non-streaming keeps a smaller warm reserve. */
export const DEFAULT_POOL_SIZE: Readonly<Record<PoolKey, number>> = Object.fromEntries(
  POOL_KEYS.map((k) => [k, k.endsWith(':file') ? 1 : 2]),
) as Record<PoolKey, number>;

export class PooledEncoderFactory implements EncoderFactory {
  private readonly ffmpegPath: string;
  private readonly tmpDir: string;
  private readonly pools = new Map<PoolKey, WarmPool>();
  private closed = false;

  constructor(options: EncoderFactoryOptions = {}) {
    this.ffmpegPath = options.ffmpegPath ?? resolveFfmpeg().path;
    this.tmpDir = options.tmpDir ?? tmpdir();
    removeStaleTempFiles(this.tmpDir);
    for (const key of POOL_KEYS) {
      const size = typeof options.poolSize === 'number' ? options.poolSize : (options.poolSize?.[key] ?? DEFAULT_POOL_SIZE[key]);
      if (size > 0) this.pools.set(key, new WarmPool(size, () => this.spawnFor(key)));
    }
  }

  async create(format: AudioFormat, options: EncoderOptions): Promise<Encoder> {
    if (!isFfmpegFormat(format)) return new JsEncoder(format, options.streaming);
    const key: PoolKey = options.streaming ? format : `${format}:file`;
    const child = (!this.closed && this.pools.get(key)?.take()) || (await this.spawnFor(key));
    return new FfmpegEncoder(format, child);
  }

  /** Idle and starting children per pool key, for metrics. */
  poolStats(): Record<string, PoolStats> {
    const out: Record<string, PoolStats> = {};
    for (const [key, pool] of this.pools) out[key] = pool.stats();
    return out;
  }

  /** Kills every idle child; encoders already handed out are left to their requests.
   *  create() still works afterwards, without the pool (a retry during shutdown drain). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }

  private spawnFor(key: PoolKey): Promise<FfmpegChild> {
    const [format, file] = key.split(':') as [FfmpegFormat, string | undefined];
    const outputFile = file
      ? join(this.tmpDir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}.${extensionFor(format)}`)
      : undefined;
    return spawnFfmpeg({
      binary: this.ffmpegPath,
      inputArgs: PCM_INPUT_ARGS,
      outputArgs: ffmpegOutputArgs(format),
      outputFile,
    });
  }
}

export function createEncoderFactory(options?: EncoderFactoryOptions): PooledEncoderFactory {
  return new PooledEncoderFactory(options);
}
