// HTTP(S) download into a `.part` file, resuming with a Range request when one exists.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';

export interface DownloadOptions {
  url: string;
  /** Where bytes go; an existing file here is resumed from its end. */
  partPath: string;
  /** Expected final size when known: a longer body is refused, a complete part is not re-fetched. */
  expectedBytes?: number;
  /** No bytes for this long aborts the download. */
  idleTimeoutMs?: number;
  onBytes?: (received: number, total: number | undefined) => void;
}

export interface DownloadResult {
  /** Bytes already in the part file that the server let us keep. */
  resumedFrom: number;
  bytes: number;
}

const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

export async function sha256File(path: string, onBytes?: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  let n = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    n += (chunk as Buffer).length;
    onBytes?.(n);
  }
  return hash.digest('hex');
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** `fetch failed` alone says nothing; the cause (ECONNREFUSED, ENOTFOUND, ...) does. */
export function explainError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: string }).code;
    return `${err.message}: ${code ? `${code} ` : ''}${cause.message}`;
  }
  return err.message;
}

/** Start byte of a `Content-Range: bytes a-b/c` header, or undefined. */
function rangeStart(header: string | null): number | undefined {
  const m = header ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header.trim()) : null;
  return m ? Number(m[1]) : undefined;
}

export async function downloadToPart(opts: DownloadOptions): Promise<DownloadResult> {
  const idleMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  let have = await sizeOf(opts.partPath);
  if (opts.expectedBytes !== undefined && have > opts.expectedBytes) {
    await unlink(opts.partPath);
    have = 0;
  }
  if (opts.expectedBytes !== undefined && have === opts.expectedBytes) return { resumedFrom: have, bytes: have };

  const controller = new AbortController();
  let idleTimer: NodeJS.Timeout | undefined;
  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => controller.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  };
  try {
    armIdle();
    let res = await fetch(opts.url, {
      headers: have > 0 ? { range: `bytes=${have}-` } : {},
      signal: controller.signal,
      redirect: 'follow',
    });
    // 416, or a 206 for some other offset: our part does not fit what the server has.
    if (have > 0 && (res.status === 416 || (res.status === 206 && rangeStart(res.headers.get('content-range')) !== have))) {
      await res.body?.cancel();
      await unlink(opts.partPath);
      have = 0;
      armIdle();
      res = await fetch(opts.url, { signal: controller.signal, redirect: 'follow' });
    }
    if (res.status !== 200 && !(res.status === 206 && have > 0)) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
    }
    // A 200 means the server ignored Range: the body starts at byte 0.
    const resumed = res.status === 206;
    const start = resumed ? have : 0;
    const lengthHeader = Number(res.headers.get('content-length') ?? NaN);
    const total = opts.expectedBytes ?? (Number.isFinite(lengthHeader) ? start + lengthHeader : undefined);

    const fh = await open(opts.partPath, resumed ? 'a' : 'w');
    let received = start;
    try {
      if (!res.body) throw new Error('empty response body');
      for await (const chunk of res.body) {
        armIdle();
        received += chunk.length;
        if (opts.expectedBytes !== undefined && received > opts.expectedBytes) {
          throw new Error(`server sent more than the expected ${opts.expectedBytes} bytes`);
        }
        await fh.write(chunk);
        opts.onBytes?.(received, total);
      }
    } finally {
      await fh.close();
    }
    return { resumedFrom: start, bytes: received };
  } catch (err) {
    // An abort carries our own reason (the idle timeout).
    if (controller.signal.aborted && controller.signal.reason instanceof Error) throw controller.signal.reason;
    throw err;
  } finally {
    clearTimeout(idleTimer);
  }
}
