// Kokoro-FastAPI's `return_download_link`: while a speech response goes out, the same audio
// (after the volume gain) is encoded a second time, in `download_format`, into a private temp
// file, and the response names it in `X-Download-Path: /download/<file>` (Kokoro-FastAPI's header
// and path); GET /v1/download/<file> (or /download/<file>) serves it once it is complete.
// Files live in a private (0700) folder made on first use, each 0600 under a random name, and
// are removed DOWNLOAD_TTL_MS after they were made, or oldest first beyond DOWNLOAD_MAX_FILES
// or DOWNLOAD_MAX_BYTES, and with the folder when the gateway closes or exits.
// The recording never fails the speech: a file that cannot be made or written is dropped
// (logged) and its link answers 404; `X-Download-Status: unavailable` when none could be started.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { AudioFormat, Encoder, EncoderFactory } from '../../audio/encode/types.js';
import { AUDIO_FORMATS } from '../../audio/encode/types.js';
import { applyGain } from '../speech/gain.js';
import { removeStaleTempFiles } from '../../audio/encode/stale-files.js';
import { badRequest } from './api-error.js';
import type { PipelineDeps } from '../speech/pipeline.js';
import type { SpeechEvent, SpeechJob, SpeechSource } from '../speech/types.js';

/** How long a file is kept after it was started (Kokoro-FastAPI: 1 hour). */
export const DOWNLOAD_TTL_MS = 60 * 60 * 1000;
/** Files kept at most, finished or being written (Kokoro-FastAPI keeps 3). */
export const DOWNLOAD_MAX_FILES = 64;
/** Bytes kept at most in finished files (Kokoro-FastAPI: 2 GB). */
export const DOWNLOAD_MAX_BYTES = 1024 * 1024 * 1024;

export const DOWNLOAD_PREFIX = 'kokoro-downloads-';

type Log = (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;

export interface DownloadLinksOptions {
  encoders: EncoderFactory;
  log?: Log;
  /** Where the private folder is made (default: the OS temp folder). */
  tmpDir?: string;
  ttlMs?: number;
  maxFiles?: number;
  maxBytes?: number;
  now?: () => number;
}

interface Entry {
  name: string;
  format: AudioFormat;
  path: string;
  created: number;
  /** null while being written. */
  bytes: number | null;
}

const NAME = new RegExp(`^[0-9a-f]{32}\\.(${AUDIO_FORMATS.join('|')})$`);

export class DownloadLinks {
  private dir: string | null = null;
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxFiles: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: DownloadLinksOptions) {
    this.ttlMs = opts.ttlMs ?? DOWNLOAD_TTL_MS;
    this.maxFiles = opts.maxFiles ?? DOWNLOAD_MAX_FILES;
    this.maxBytes = opts.maxBytes ?? DOWNLOAD_MAX_BYTES;
    this.now = opts.now ?? Date.now;
  }

  /** A recording for one request, or null when no file can be kept now (too many being written). */
  begin(format: AudioFormat): DownloadRecording | null {
    if (this.closed) return null;
    this.sweep(1);
    if (this.entries.size >= this.maxFiles) return null; // every slot is a file still being written
    let dir: string;
    try {
      dir = this.folder();
    } catch (err) {
      this.opts.log?.('warn', 'download folder could not be made', { error: (err as Error).message });
      return null;
    }
    const name = `${randomBytes(16).toString('hex')}.${format}`;
    const entry: Entry = { name, format, path: join(dir, name), created: this.now(), bytes: null };
    this.entries.set(name, entry);
    return new DownloadRecording(entry, this.opts.encoders, (bytes) => {
      if (bytes === null) this.remove(entry);
      else if (this.entries.get(name) === entry) {
        entry.bytes = bytes;
        this.sweep(0);
      } else unlinkQuiet(entry.path); // closed or swept meanwhile
    }, this.opts.log);
  }

  /** A finished, unexpired file by its name, else undefined. */
  lookup(name: string): { path: string; format: AudioFormat; bytes: number } | undefined {
    if (!NAME.test(name)) return undefined;
    const e = this.entries.get(name);
    if (!e || e.bytes === null) return undefined;
    if (this.now() - e.created > this.ttlMs) {
      this.remove(e);
      return undefined;
    }
    return { path: e.path, format: e.format, bytes: e.bytes };
  }

  /** Removes every file and the folder; later recordings are refused. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    this.entries.clear();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }

  private folder(): string {
    if (this.dir) return this.dir;
    // Named after our PID, so the folders of gateways killed outright go at the next start.
    const parent = this.opts.tmpDir ?? tmpdir();
    removeStaleTempFiles(parent, DOWNLOAD_PREFIX);
    this.dir = mkdtempSync(join(parent, `${DOWNLOAD_PREFIX}${process.pid}-`));
    const dir = this.dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    // Expired files go even when no new request comes.
    this.sweeper = setInterval(() => this.sweep(0), Math.min(60_000, this.ttlMs)).unref();
    return dir;
  }

  /**
   * Drops expired finished files, then the oldest finished ones beyond the size limit or while
   * the count (files being written included) leaves no `room` for new ones.
   */
  private sweep(room: number): void {
    const now = this.now();
    const finished = [...this.entries.values()].filter((e) => e.bytes !== null).sort((a, b) => a.created - b.created);
    let bytes = finished.reduce((n, e) => n + e.bytes!, 0);
    let count = this.entries.size;
    for (const e of finished) {
      if (now - e.created > this.ttlMs || count + room > this.maxFiles || bytes > this.maxBytes) {
        this.remove(e);
        count--;
        bytes -= e.bytes!;
      }
    }
  }

  private remove(e: Entry): void {
    if (this.entries.get(e.name) === e) this.entries.delete(e.name);
    unlinkQuiet(e.path);
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/**
 * One request's file: `wrap` taps the pipeline's source (every audio chunk, gain applied as the
 * pipeline does, into a whole-file encoder in the download format, piped to the file); `track`
 * holds the request's result until the file is complete, and drops the file if the request
 * failed. The encoder starts with the first chunk, so a request refused before any audio costs
 * nothing.
 */
export class DownloadRecording {
  /** Kokoro-FastAPI's X-Download-Path value. */
  readonly downloadPath: string;
  private encoder: Promise<Encoder> | null = null;
  private written: Promise<number> | null = null;
  private file: ReturnType<typeof createWriteStream> | null = null;
  private failed = false;
  private settled = false;

  constructor(
    private readonly entry: Entry,
    private readonly encoders: EncoderFactory,
    private readonly settle: (bytes: number | null) => void,
    private readonly log?: Log,
  ) {
    this.downloadPath = `/download/${entry.name}`;
  }

  /** The pipeline's deps with the source tapped. */
  wrap(deps: PipelineDeps): PipelineDeps {
    const inner = deps.source;
    const source: SpeechSource = { synthesize: (job, signal) => this.tap(inner.synthesize(job, signal), job) };
    return { ...deps, source };
  }

  /** `run` (the request's pipeline) resolved only once the file is complete; rejected as it was. */
  track<T>(run: Promise<T>): Promise<T> {
    return run.then(
      async (v) => {
        await this.complete();
        return v;
      },
      (e: unknown) => {
        this.drop('the request failed');
        throw e;
      },
    );
  }

  private async *tap(events: AsyncIterable<SpeechEvent>, job: SpeechJob): AsyncGenerator<SpeechEvent> {
    for await (const ev of events) {
      if (ev.type === 'audio' && ev.samples.length > 0 && !this.failed) await this.write(applyGain(ev.samples, job.volume ?? 1));
      yield ev;
    }
  }

  private async write(samples: Int16Array): Promise<void> {
    try {
      if (!this.encoder) {
        this.encoder = this.encoders.create(this.entry.format, { streaming: false });
        const enc = await this.encoder;
        const file = createWriteStream(this.entry.path, { flags: 'wx', mode: 0o600 });
        this.file = file;
        enc.output.pipe(file);
        this.written = Promise.all([finished(enc.output), finished(file)]).then(() => statSync(this.entry.path).size);
        this.written.catch(() => {});
      }
      await (await this.encoder).write(samples);
    } catch (err) {
      this.drop((err as Error).message);
    }
  }

  private async complete(): Promise<void> {
    if (this.settled) return;
    if (this.failed || !this.encoder) return this.drop(this.failed ? 'write failed' : 'no audio');
    try {
      (await this.encoder).end();
      const bytes = await this.written!;
      this.settled = true;
      this.settle(bytes);
    } catch (err) {
      this.drop((err as Error).message);
    }
  }

  private drop(why: string): void {
    this.failed = true;
    if (this.settled) return;
    this.settled = true;
    this.encoder?.then((e) => e.destroy(), () => {});
    // The file may still be opening: remove it again once its stream has closed.
    if (this.file) {
      const path = this.entry.path;
      this.file.once('close', () => unlinkQuiet(path)).destroy();
    }
    if (why !== 'the request failed') this.log?.('warn', 'download file dropped', { file: this.entry.name, reason: why });
    this.settle(null);
  }
}

/**
 * The speech route's hook: for a request without `download`, the pipeline as it is; with it, the
 * tapped pipeline, `X-Download-Path` (or `X-Download-Status: unavailable` when no file can be
 * kept now: the speech still goes out), and `track` to wrap the pipeline's run. Throws a 400
 * when this gateway keeps no files (`links` absent).
 */
export function startDownload(links: DownloadLinks | undefined, r: { download?: AudioFormat }, deps: PipelineDeps): {
  pipeline: PipelineDeps;
  headers: Record<string, string>;
  track: <T>(run: Promise<T>) => Promise<T>;
} {
  if (!r.download) return { pipeline: deps, headers: {}, track: (run) => run };
  if (!links) throw badRequest("'return_download_link' is not supported by this server.", 'return_download_link', 'unsupported_parameter');
  const rec = links.begin(r.download);
  if (!rec) return { pipeline: deps, headers: { 'x-download-status': 'unavailable' }, track: (run) => run };
  return { pipeline: rec.wrap(deps), headers: { 'x-download-path': rec.downloadPath }, track: (run) => rec.track(run) };
}
