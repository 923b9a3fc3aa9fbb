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
