// The kuromoji tokenizer on its IPADIC dictionary, loaded once, after every dictionary file has
// been checked against ipadic-manifest.ts (size, SHA-256): nothing is fetched at run time, and
// a changed or damaged dictionary is refused rather than read.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import kuromoji from 'kuromoji';
import { IPADIC_FILES, KUROMOJI_VERSION } from './ipadic-manifest.js';

export type JaToken = kuromoji.IpadicFeatures;
export type JaTokenizer = kuromoji.Tokenizer<JaToken>;

const require = createRequire(import.meta.url);

/** node_modules/kuromoji/dict, and the installed kuromoji's version. */
export function kuromojiDictDir(): { dir: string; version: string } {
  const pkg = require.resolve('kuromoji/package.json');
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  return { dir: path.join(path.dirname(pkg), 'dict'), version };
}

/** Throws unless every file in `dir` matches the manifest. */
export async function verifyIpadic(dir: string): Promise<void> {
  for (const f of IPADIC_FILES) {
    const file = path.join(dir, f.name);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      throw new Error(`Japanese dictionary file missing: ${file} (${(err as Error).message}); reinstall with npm ci`);
    }
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (bytes.length !== f.size || sha !== f.sha256) {
      throw new Error(`Japanese dictionary file ${file} does not match its manifest (size ${bytes.length}, sha256 ${sha}; expected ${f.size}, ${f.sha256}): refusing to load it`);
    }
  }
}

let loading: Promise<JaTokenizer> | undefined;

/** The shared tokenizer (verified and built on first use, about a second). */
export function jaTokenizer(dir?: string): Promise<JaTokenizer> {
  if (dir !== undefined) return build(dir);
  loading ??= (async () => {
    const { dir: d, version } = kuromojiDictDir();
    if (version !== KUROMOJI_VERSION) throw new Error(`kuromoji ${version} installed, ${KUROMOJI_VERSION} expected (its dictionary is pinned by hash)`);
    return build(d);
  })();
  loading.catch(() => { loading = undefined; });
  return loading;
}

async function build(dir: string): Promise<JaTokenizer> {
  await verifyIpadic(dir);
  return new Promise((resolve, reject) => {
    kuromoji.builder({ dicPath: dir }).build((err, t) => (err ? reject(err) : resolve(t)));
  });
}
