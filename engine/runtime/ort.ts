// Loads ONNX Runtime for the engine.
//
// npm has nothing newer than onnxruntime-node 1.30, whose bundled library runs Kokoro about
// 1.7x slower per core than ONNX Runtime 1.31+. The binding itself works unchanged with the
// 1.32 C library once its symbol-version requirement names 1.32 (see elf-version.ts), so on
// CPU we assemble, in a cache folder (never in node_modules), a copy of the onnxruntime-node
// package whose native folder holds the retargeted binding and the verified 1.32 library.
// When that library is missing or fails to load we use the stock package, with one loud log
// line. GPU engines always use the stock package: its CUDA provider is built for 1.30.
// A native library is loaded from that folder, so it is trusted only after a check, before
// every load: the folders are private (0700, ours, not writable by group or others), and every
// file of the copy matches the SHA-256 its marker recorded when it was built (the library: the
// manifest's). A failed check rebuilds the copy; a folder others can write is refused (stock).
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { manifestEntry, RUNTIME_LIBRARY_FILE } from '../../models/manifest.js';
import { runtimeCacheDir } from '../../models/paths.js';
import { retargetVersionNeed } from './elf-version.js';

export type Ort = typeof import('onnxruntime-node');

export interface LoadedRuntime {
  ort: Ort;
  /** ONNX Runtime C library version, e.g. `1.32.0`. */
  version: string;
  /** `stock` = the library inside onnxruntime-node; `upgraded` = the 1.32 library. */
  source: 'stock' | 'upgraded';
}

const require = createRequire(import.meta.url);
const STOCK_VERSION = '1.30.0';
const UPGRADE_VERSION = '1.32.0';
const NATIVE_DIR = `bin/napi-v6/${process.platform}/${process.arch}`;
/** The stock files copied into the copy's native folder: the binding alone (no stock library, no CUDA providers). */
const NATIVE_FILES = ['onnxruntime_binding.node'];
/** The copy's marker: written last, it lists the SHA-256 of every file of the copy. */
const MARKER = 'complete';
const MARKER_VERSION = 2;
const LIB_IN_COPY = ['node_modules', 'onnxruntime-node', ...NATIVE_DIR.split('/'), 'libonnxruntime.so.1'].join('/');

/** A package's root folder (some packages do not export their package.json). */
function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === name) return dir;
    dir = dirname(dir);
  }
  throw new Error(`cannot find the folder of ${name}`);
}

export const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Every regular file under `root` (paths relative, `/`-separated); a link or odd entry is reported by name. */
function listFiles(root: string, odd: string[], dir = root, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    const rel = relative(root, p).split(sep).join('/');
    if (st.isDirectory()) listFiles(root, odd, p, out);
    else if (st.isFile()) out.push(rel);
    else odd.push(rel);
  }
  return out;
}

interface Marker {
  version: number;
  lib: string;
  files: Record<string, string>;
}

/**
 * Why the copy at `root` must not be loaded (null: it is intact): its marker lists the SHA-256
 * of every file, re-hashed here; no file may be missing, added or changed, and its library must
 * be the manifest's ONNX Runtime 1.32.
 */
export function verifyRuntimeCopy(root: string, libSha256: string): string | null {
  let marker: Marker;
  try {
    marker = JSON.parse(readFileSync(join(root, MARKER), 'utf8')) as Marker;
  } catch {
    return existsSync(join(root, MARKER)) ? 'its marker is not a file list (an older layout)' : 'it is not complete';
  }
  if (marker.version !== MARKER_VERSION || typeof marker.files !== 'object' || marker.files === null) return 'its marker is from an older layout';
  if (marker.files[LIB_IN_COPY] !== libSha256) return "its library is not the manifest's ONNX Runtime 1.32";
  const odd: string[] = [];
  const files = listFiles(root, odd).filter((f) => f !== MARKER);
  if (odd.length > 0) return `it holds a link or special file (${odd[0]})`;
  const listed = Object.keys(marker.files);
  const extra = files.find((f) => !(f in marker.files));
  if (extra) return `${extra} is not in its file list`;
  if (files.length !== listed.length) return `${listed.find((f) => !files.includes(f))} is missing`;
  for (const f of files) if (sha256File(join(root, f)) !== marker.files[f]) return `${f} does not match its SHA-256`;
  return null;
}

/**
 * Refuses a cache folder others could write into (a native library is loaded from it): the
 * folder and the one above it (the cache root) must be ours and not writable by group or others.
 */
export function checkPrivateDirs(dirs: readonly string[]): void {
  const uid = process.getuid?.();
  for (const d of dirs) {
    const st = lstatSync(d);
    if (!st.isDirectory()) throw new Error(`${d} is not a plain directory (a link?)`);
    if (uid !== undefined && st.uid !== uid) throw new Error(`${d} belongs to another user (uid ${st.uid})`);
    if ((st.mode & 0o022) !== 0) {
      throw new Error(`${d} is writable by group or others (mode ${(st.mode & 0o777).toString(8)}): run \`chmod go-w ${d}\` or use a private KOKORO_CACHE_DIR`);
    }
  }
}

/** The native folders of other platforms, and anything but the binding and the library in ours. */
function copyFilter(pkg: string): (src: string) => boolean {
  const native = NATIVE_DIR.split('/');
  return (src) => {
    const parts = relative(pkg, src).split(sep);
    if (parts[0] !== 'bin') return true;
    for (let i = 1; i < Math.min(parts.length, native.length); i++) if (parts[i] !== native[i]) return false;
    return parts.length <= native.length || NATIVE_FILES.includes(parts[native.length]!);
  };
}

/**
 * Returns the entry file of the cache copy of onnxruntime-node wired to `libPath`: the copy
 * verified by hash before every load (verifyRuntimeCopy), rebuilt when it fails, in private
 * (0700) folders; throws when the folders are not private or `libPath` is not the manifest's
 * library.
 */
export function prepareUpgradedPackage(libPath: string, cacheDir: string, opts: { libSha256?: string; log?: (msg: string) => void } = {}): string {
  const libSha256 = opts.libSha256 ?? manifestEntry(RUNTIME_LIBRARY_FILE)!.sha256;
  const nodePkg = packageDir('onnxruntime-node');
  const commonPkg = packageDir('onnxruntime-common');
  const stockVersion = JSON.parse(readFileSync(join(nodePkg, 'package.json'), 'utf8')).version as string;
  const root = join(cacheDir, `onnxruntime-node-${stockVersion}+lib-${UPGRADE_VERSION}`);
  const entry = join(root, 'node_modules', 'onnxruntime-node');
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  checkPrivateDirs([cacheDir, dirname(cacheDir)]);
  const problem = existsSync(root) ? verifyRuntimeCopy(root, libSha256) : 'it does not exist yet';
  if (problem === null) return entry;
  if (existsSync(root)) opts.log?.(`the ONNX Runtime ${UPGRADE_VERSION} copy in ${root} fails its check (${problem}): rebuilding it`);
  if (sha256File(libPath) !== libSha256) throw new Error(`${libPath} does not match the manifest's SHA-256 of ONNX Runtime ${UPGRADE_VERSION}`);

  // Build beside, then rename: a crash halfway never leaves a half-made package in use.
  const tmp = `${root}.tmp-${process.pid}-${Date.now()}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { mode: 0o700 });
  const tmpEntry = join(tmp, 'node_modules', 'onnxruntime-node');
  cpSync(nodePkg, tmpEntry, { recursive: true, dereference: true, filter: copyFilter(nodePkg) });
  cpSync(commonPkg, join(tmp, 'node_modules', 'onnxruntime-common'), { recursive: true, dereference: true });
  const native = join(tmpEntry, NATIVE_DIR);
  const binding = readFileSync(join(native, 'onnxruntime_binding.node'));
  writeFileSync(
    join(native, 'onnxruntime_binding.node'),
    retargetVersionNeed(binding, 'libonnxruntime.so.1', `VERS_${stockVersion}`, `VERS_${UPGRADE_VERSION}`),
  );
  rmSync(join(native, 'libonnxruntime.so.1'), { force: true });
  copyFileSync(libPath, join(native, 'libonnxruntime.so.1'));
  chmodSync(join(native, 'libonnxruntime.so.1'), 0o500);
  const odd: string[] = [];
  const files: Record<string, string> = {};
  for (const f of listFiles(tmp, odd)) files[f] = sha256File(join(tmp, f));
  if (odd.length > 0) throw new Error(`the onnxruntime-node copy holds a link or special file (${odd[0]})`);
  // The library copied must still be the one checked above.
  if (files[LIB_IN_COPY] !== libSha256) throw new Error(`the copied ONNX Runtime ${UPGRADE_VERSION} library does not match the manifest`);
  writeFileSync(join(tmp, MARKER), `${JSON.stringify({ version: MARKER_VERSION, lib: libPath, files } satisfies Marker, null, 1)}\n`, { mode: 0o600 });

  // A failed copy is moved aside first (a process that loaded it keeps its mapped files).
  let aside: string | null = null;
  if (existsSync(root)) {
    aside = `${root}.old-${process.pid}-${Date.now()}`;
    try {
      renameSync(root, aside);
    } catch {
      aside = null; // another engine moved it first
    }
  }
  try {
    renameSync(tmp, root);
  } catch (err) {
    // Another engine finished first: use its copy if it passes the check.
    rmSync(tmp, { recursive: true, force: true });
    const again = existsSync(root) ? verifyRuntimeCopy(root, libSha256) : 'it vanished';
    if (again !== null) throw new Error(`the ONNX Runtime copy could not be put in place (${(err as Error).message}; ${again})`);
  }
  if (aside) rmSync(aside, { recursive: true, force: true });
  return entry;
}

export interface LoadOptions {
  /** Verified ONNX Runtime 1.32 library, when present. */
  upgradeLib?: string;
  /** GPU engines pass true: they need the stock package's CUDA provider. */
  stockOnly?: boolean;
  cacheDir?: string;
  log?: (level: 'info' | 'warn', msg: string) => void;
}

export function loadRuntime(opts: LoadOptions): LoadedRuntime {
  const log = opts.log ?? (() => {});
  if (!opts.stockOnly && process.platform === 'linux' && process.arch === 'x64') {
    if (opts.upgradeLib && existsSync(opts.upgradeLib)) {
      try {
        const entry = prepareUpgradedPackage(opts.upgradeLib, opts.cacheDir ?? runtimeCacheDir(), { log: (msg) => log('warn', msg) });
        const ort = require(entry) as Ort;
        return { ort, version: UPGRADE_VERSION, source: 'upgraded' };
      } catch (err) {
        log('warn', `ONNX Runtime ${UPGRADE_VERSION} failed to load (${(err as Error).message}); ` +
          `FALLING BACK to the stock ${STOCK_VERSION} runtime, about 1.7x slower on CPU`);
      }
    } else {
      log('warn', `ONNX Runtime ${UPGRADE_VERSION} library not found; USING the stock ${STOCK_VERSION} runtime, ` +
        'about 1.7x slower on CPU (run `npm run models:fetch` to get it)');
    }
  }
  return { ort: require('onnxruntime-node') as Ort, version: STOCK_VERSION, source: 'stock' };
}
