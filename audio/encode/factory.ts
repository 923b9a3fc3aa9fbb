// Hands each request its own encoder: a fresh ffmpeg child (from the warm pool when one is
// ready) for mp3, opus, aac and flac; a JS writer for wav and pcm. Nothing is shared.
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, rmSync } from 'node:fs';
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
  /** Where this process's private folder for non-streaming output files is made; default the OS temp directory (TMPDIR). */
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

  /** This process's private (0700) folder for whole-file outputs, made on first use. */
  private privateDir: string | null = null;

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
    if (!isFfmpegFormat(format)) return new JsEncoder(format, options.streaming, options.deferHeader === true && !options.streaming);
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
    // Idle children are gone; the requests' own files were unlinked when their requests ended.
    if (this.privateDir) removeAtExit(this.privateDir, true);
    this.privateDir = null;
  }

  /**
   * The private folder (mkdtemp: 0700, a random name), made again when it vanished (a temp
   * cleaner) or is no longer ours and private; removed by close() and at process exit.
   */
  get tempDir(): string {
    if (this.privateDir && isPrivateDir(this.privateDir)) return this.privateDir;
    this.privateDir = mkdtempSync(join(this.tmpDir, `${TEMP_PREFIX}${process.pid}-`));
    removeAtExit(this.privateDir);
    return this.privateDir;
  }

  private spawnFor(key: PoolKey): Promise<FfmpegChild> {
    const [format, file] = key.split(':') as [FfmpegFormat, string | undefined];
    const outputFile = file
      ? join(this.tempDir, `${randomBytes(6).toString('hex')}.${extensionFor(format)}`)
      : undefined;
    return spawnFfmpeg({
      binary: this.ffmpegPath,
      inputArgs: PCM_INPUT_ARGS,
      outputArgs: ffmpegOutputArgs(format),
      outputFile,
    });
  }
}

function isPrivateDir(dir: string): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && (st.mode & 0o077) === 0 && st.uid === process.getuid?.();
  } catch {
    return false;
  }
}

// Private folders of this process, removed at exit (one listener for every factory).
const exitDirs = new Set<string>();
function removeAtExit(dir: string, now = false): void {
  if (now) {
    exitDirs.delete(dir);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  if (!exitListening) {
    exitListening = true;
    process.once('exit', () => {
      for (const d of exitDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  exitDirs.add(dir);
}
let exitListening = false;

let processDir: string | null = null;
/** A private (0700) folder of this process for temp files, when no encoder factory gives one; removed at exit. */
export function processTempDir(): string {
  if (processDir && isPrivateDir(processDir)) return processDir;
  processDir = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
  removeAtExit(processDir);
  return processDir;
}

export function createEncoderFactory(options?: EncoderFactoryOptions): PooledEncoderFactory {
  return new PooledEncoderFactory(options);
}
