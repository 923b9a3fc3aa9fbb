// The files the fetcher itself keeps in a models directory, next to the model files:
// the verification stamps, the fetch lock and partial downloads. Named in one place so
// whatever lists a models dir (tests, tools) can tell them from model files.

/** Stamps of verified files (stamps.ts), inside the models dir when it is writable. */
export const STAMP_FILE_NAME = '.verified.json';

/** Pid file that lets one process at a time fetch into the dir (lock.ts). */
export const LOCK_FILE_NAME = '.fetch.lock';

/** Suffix of a download or extraction in progress: `<name>.part` becomes `<name>` once verified (fetch.ts). */
export const PART_SUFFIX = '.part';

/** The temporary file a stamp file is written to before its atomic rename (stamps.ts). */
export function stampTempFile(stampFile: string, pid: number = process.pid): string {
  return `${stampFile}.${pid}.tmp`;
}

const STAMP_TEMP_NAME = new RegExp(`^${STAMP_FILE_NAME.replace(/[.]/g, '\\.')}\\.\\d+\\.tmp$`);

/**
 * Whether `relPath` (relative to a models dir, forward slashes) is one of the fetcher's own
 * bookkeeping files rather than a model file: the stamp file or its temporary, the lock, or a
 * `.part` at any depth.
 */
export function isBookkeepingFile(relPath: string): boolean {
  return relPath === STAMP_FILE_NAME || relPath === LOCK_FILE_NAME || STAMP_TEMP_NAME.test(relPath) || relPath.endsWith(PART_SUFFIX);
}
