// Loads ONNX Runtime for the engine.
//
// npm has nothing newer than onnxruntime-node 1.30, whose bundled library runs Kokoro about
// 1.7x slower per core than ONNX Runtime 1.31+. The binding itself works unchanged with the
// 1.32 C library once its symbol-version requirement names 1.32 (see elf-version.ts), so on
// CPU we assemble, in a cache folder (never in node_modules), a copy of the onnxruntime-node
// package whose native folder holds the retargeted binding and the verified 1.32 library.
// When that library is missing or fails to load we use the stock package, with one loud log
// line. GPU engines always use the stock package: its CUDA provider is built for 1.30.
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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

/** Builds (once) the cache copy of onnxruntime-node wired to `libPath`; returns its entry file. */
export function prepareUpgradedPackage(libPath: string, cacheDir: string): string {
  const nodePkg = packageDir('onnxruntime-node');
  const commonPkg = packageDir('onnxruntime-common');
  const stockVersion = JSON.parse(readFileSync(join(nodePkg, 'package.json'), 'utf8')).version as string;
  const root = join(cacheDir, `onnxruntime-node-${stockVersion}+lib-${UPGRADE_VERSION}`);
  const entry = join(root, 'node_modules', 'onnxruntime-node');
  if (existsSync(join(root, 'complete'))) return entry;

  // Build beside, then rename: a crash halfway never leaves a half-made package in use.
  const tmp = `${root}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(dirname(root), { recursive: true });
  rmSync(tmp, { recursive: true, force: true });
  const tmpEntry = join(tmp, 'node_modules', 'onnxruntime-node');
  cpSync(nodePkg, tmpEntry, { recursive: true });
  cpSync(commonPkg, join(tmp, 'node_modules', 'onnxruntime-common'), { recursive: true });
  const native = join(tmpEntry, NATIVE_DIR);
  const binding = readFileSync(join(native, 'onnxruntime_binding.node'));
  writeFileSync(
    join(native, 'onnxruntime_binding.node'),
    retargetVersionNeed(binding, 'libonnxruntime.so.1', `VERS_${stockVersion}`, `VERS_${UPGRADE_VERSION}`),
  );
  copyFileSync(libPath, join(native, 'libonnxruntime.so.1'));
  writeFileSync(join(tmp, 'complete'), `${libPath}\n`);
  mkdirSync(dirname(root), { recursive: true });
  try {
    renameSync(tmp, root);
  } catch (err) {
    // Another engine finished first: use its copy (never delete one that may be loaded).
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(root, 'complete'))) throw err;
  }
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
        const entry = prepareUpgradedPackage(opts.upgradeLib, opts.cacheDir ?? runtimeCacheDir());
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
