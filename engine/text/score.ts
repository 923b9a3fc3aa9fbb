// Phoneme error rate against misaki's reference phonemes: Levenshtein distance over symbols
// (code points), spaces ignored, stress marks counted as symbols.
import { readFileSync } from 'node:fs';
import type { TextFrontEnd } from './index.js';
import { type Lang } from '../../protocol/constants.js';

export interface FixtureRow {
  text: string; 'en-us': string; 'en-gb': string;
  // misaki on the text after our normalization (see scripts/g2p/make-fixtures.sh)
  norm?: Partial<Record<Lang, string>>; 'en-us-norm'?: string; 'en-gb-norm'?: string;
}
/** raw: misaki on the sentence as written (normalization differences count as errors);
 * norm: misaki on our normalized text (G2P fidelity alone). */
export type Reference = 'raw' | 'norm';
export interface Mismatch { text: string; ref: string; hyp: string; distance: number }
export interface Score { lang: Lang; sentences: number; refSymbols: number; errors: number; per: number; exact: number; exactRate: number; mismatches: Mismatch[] }

export function editDistance(a: string[], b: string[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

const symbols = (ps: string): string[] => [...ps.replace(/\s+/g, '')];
const tidy = (ps: string): string => ps.replace(/\s+/g, ' ').trim();

export function loadFixtures(file: string): FixtureRow[] {
  return JSON.parse(readFileSync(file, 'utf8')) as FixtureRow[];
}

/** Scores the front end on fixture rows; `keep` filters the reference to the model's vocabulary. */
export async function scoreFixtures(fe: TextFrontEnd, rows: FixtureRow[], lang: 'en-us' | 'en-gb', keep: (ps: string) => string, reference: Reference = 'raw'): Promise<Score> {
  const score = await scorePhonemizer((text) => fe.phonemize(text, lang), rows as unknown as LangFixtureRow[], lang, keep, reference);
  return { ...score, lang };
}

/** Fixture row of one other language (test/fixtures/g2p/<lang>/*.json): `text`, misaki's phonemes
 * under the tag, and with normalization `norm[tag]` plus `${tag}-norm`. */
export type LangFixtureRow = { text: string; norm?: Record<string, string> } & Record<string, unknown>;

/** Scores any phonemizer (text -> filtered phonemes) on one language's fixture rows. */
export async function scorePhonemizer(phonemize: (text: string) => Promise<string>, rows: LangFixtureRow[], tag: string, keep: (ps: string) => string, reference: Reference = 'raw'): Promise<Omit<Score, 'lang'> & { lang: string }> {
  let refSymbols = 0;
  let errors = 0;
  let exact = 0;
  const mismatches: Mismatch[] = [];
  for (const row of rows) {
    const norm = reference === 'norm';
    const refText = row[norm ? `${tag}-norm` : tag];
    const input = norm ? row.norm?.[tag] : row.text;
    if (typeof refText !== 'string' || input === undefined) throw new Error(`fixture row without ${reference} reference: ${row.text}`);
    const ref = tidy(keep(refText));
    const hyp = tidy(await phonemize(input));
    const r = symbols(ref);
    const d = editDistance(symbols(hyp), r);
    refSymbols += r.length;
    errors += d;
    if (hyp === ref) exact++;
    else mismatches.push({ text: row.text, ref, hyp, distance: d });
  }
  return { lang: tag, sentences: rows.length, refSymbols, errors, per: refSymbols ? errors / refSymbols : 0, exact, exactRate: rows.length ? exact / rows.length : 1, mismatches };
}
