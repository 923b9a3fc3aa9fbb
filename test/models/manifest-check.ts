// The "manifest matches every file in this models dir" check, shared by the mirror test
// (manifest.test.ts) and the test of a dir the project fetched itself (self-fetched.test.ts).
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { isBookkeepingFile } from '../../models/bookkeeping.js';
import { sha256File } from '../../models/download.js';
import { MANIFEST } from '../../models/manifest.js';

export interface ListedFile {
  size: number;
  mtimeMs: number;
  ino: number;
}

/** Every regular file under `dir`, bookkeeping included, by path relative to `dir` with forward slashes. */
export function listFiles(dir: string): Map<string, ListedFile> {
  const out = new Map<string, ListedFile>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.set(relative(dir, p).split(sep).join('/'), { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
    }
  };
  walk(dir);
  return out;
}

/** The fetcher's own files (stamp, lock, `.part`s) among `files`, sorted. */
export function bookkeepingFiles(files: Map<string, ListedFile>): string[] {
  return [...files.keys()].filter(isBookkeepingFile).sort();
}

export interface ManifestCheckOptions {
  /** Files that belong in this dir besides the manifest's (e.g. the mirror's README.md). */
  extraFiles?: readonly string[];
  /** Called for each manifest file once its size and SHA-256 matched. */
  onVerified?: (name: string, st: Stats, sha256: string) => void;
}

/**
 * Asserts that `dir` holds exactly the manifest's files (besides `extraFiles` and the fetcher's
 * bookkeeping files), each with its exact size and SHA-256. Hashes every file once.
 * Returns the full listing, bookkeeping included, taken before hashing.
 */
export async function assertManifestMatchesDir(dir: string, opts: ManifestCheckOptions = {}): Promise<Map<string, ListedFile>> {
  const files = listFiles(dir);
  const extra = new Set(opts.extraFiles ?? []);
  const modelFiles = [...files.keys()].filter((name) => !isBookkeepingFile(name) && !extra.has(name));
  assert.deepEqual(modelFiles.sort(), MANIFEST.map((e) => e.name).sort(), `same set of files in ${dir}`);

  for (const e of MANIFEST) {
    const path = join(dir, e.name);
    const st = statSync(path);
    assert.equal(st.size, e.bytes, `${e.name} size`);
    const sha = await sha256File(path);
    assert.equal(sha, e.sha256, `${e.name} sha256`);
    opts.onVerified?.(e.name, st, sha);
  }
  return files;
}
