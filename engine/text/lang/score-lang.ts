// PER of the other languages' front ends against misaki (test/fixtures/g2p/<tag>/*.json).
import path from 'node:path';
import { existsSync } from 'node:fs';
import { loadFixtures, scorePhonemizer, type LangFixtureRow, type Reference } from '../score.js';
import { Vocab } from '../vocab.js';
import { normalizeFor, phonemizeLang, splitSentencesLang } from './front-end.js';
import { type AnyLang } from './langs.js';

/** What the model would be fed for `text`: normalized, split into sentences, phonemized, filtered. */
export async function feedLang(text: string, lang: AnyLang, vocab: Vocab): Promise<string> {
  const out: string[] = [];
  for (const s of splitSentencesLang(normalizeFor(lang, text), lang)) out.push(vocab.filter(await phonemizeLang(s, lang)));
  return out.filter(Boolean).join(' ');
}

export async function scoreLang(fixtureDir: string, lang: AnyLang, set: 'tuning' | 'heldout', reference: Reference, vocab: Vocab): Promise<Awaited<ReturnType<typeof scorePhonemizer>> | undefined> {
  const file = path.join(fixtureDir, lang, `${set}.json`);
  if (!existsSync(file)) return undefined;
  const rows = loadFixtures(file) as unknown as LangFixtureRow[];
  return scorePhonemizer((t) => feedLang(t, lang, vocab), rows, lang, (ps) => vocab.filter(ps), reference);
}

/**
 * How often our word bounds (spaces in the phonemes) agree with misaki's, on the rows whose
 * phonemes agree apart from spaces (zh: ICU word breaks vs jieba; PER ignores spaces).
 */
export async function wordBoundaryAgreement(fixtureDir: string, lang: AnyLang, set: 'tuning' | 'heldout', vocab: Vocab): Promise<{ rows: number; compared: number; refBounds: number; hypBounds: number; common: number } | undefined> {
  const file = path.join(fixtureDir, lang, `${set}.json`);
  if (!existsSync(file)) return undefined;
  const rows = loadFixtures(file) as unknown as LangFixtureRow[];
  // Positions (in symbols, spaces left out) after which a space comes.
  const bounds = (ps: string): { symbols: string; at: Set<number> } => {
    const at = new Set<number>();
    let symbols = '';
    for (const c of ps.replace(/\s+/g, ' ').trim()) {
      if (c === ' ') at.add([...symbols].length);
      else symbols += c;
    }
    return { symbols, at };
  };
  let compared = 0, refBounds = 0, hypBounds = 0, common = 0;
  for (const row of rows) {
    const ref = bounds(vocab.filter(String(row[`${lang}-norm`] ?? row[lang])));
    const hyp = bounds(await feedLang(row.norm?.[lang] ?? row.text, lang, vocab));
    if (ref.symbols !== hyp.symbols) continue;
    compared++;
    refBounds += ref.at.size;
    hypBounds += hyp.at.size;
    for (const b of hyp.at) if (ref.at.has(b)) common++;
  }
  return { rows: rows.length, compared, refBounds, hypBounds, common };
}
