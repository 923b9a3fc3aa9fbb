// `npm run g2p:score [-- --verbose]`: PER and exact-match rate against misaki, per language,
// on the tuning fixtures and the held-out fixtures; against misaki reading the raw sentence
// (our deliberate normalization differences count as errors) and misaki reading our
// normalized sentence (G2P fidelity alone).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTextFrontEnd } from './index.js';
import { devModelsDir } from '../../models/paths.js';
import { loadFixtures, scoreFixtures, type Reference } from './score.js';
import { Vocab } from './vocab.js';
import { type Lang } from '../../protocol/constants.js';
import { resolveLang } from './lang/langs.js';
import { scoreLang, wordBoundaryAgreement } from './lang/score-lang.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const fixtureDir = path.join(repoRoot, 'test/fixtures/g2p');

async function main(): Promise<void> {
  const verbose = process.argv.includes('--verbose');
  const modelsDir = devModelsDir();
  const li = process.argv.indexOf('--lang');
  const langArg = li >= 0 ? process.argv[li + 1] : undefined;
  const other = langArg ? resolveLang(langArg) : undefined;
  if (langArg && !other) throw new Error(`unknown --lang ${langArg}`);
  if (other && other !== 'en-us' && other !== 'en-gb') {
    // `npm run g2p:score -- --lang es`: test/fixtures/g2p/<tag>/{tuning,heldout}.json
    const vocab = Vocab.load(modelsDir);
    for (const set of ['tuning', 'heldout'] as const) {
      for (const ref of ['raw', 'norm'] as const) {
        const s = await scoreLang(fixtureDir, other, set, ref, vocab);
        if (!s) { console.log(`${set} ${other}: no fixtures`); continue; }
        console.log(`${set.padEnd(8)} ${other} vs misaki(${ref === 'raw' ? 'raw text' : 'our normalized text'})`.padEnd(52) + `PER ${(100 * s.per).toFixed(2)}%  (${s.errors}/${s.refSymbols} symbols)  exact ${(100 * s.exactRate).toFixed(1)}% (${s.exact}/${s.sentences})`);
        if (verbose) for (const m of s.mismatches.sort((a, b) => b.distance - a.distance)) console.log(`  [${m.distance}] ${m.text}\n      ref ${m.ref}\n      hyp ${m.hyp}`);
      }
      // PER leaves spaces out; where the word bounds come from a segmenter, say how well they agree.
      const b = other === 'zh' ? await wordBoundaryAgreement(fixtureDir, other, set, vocab) : undefined;
      if (b) console.log(`${set.padEnd(8)} ${other} word bounds vs misaki (${b.compared}/${b.rows} sentences read alike but for spaces)`.padEnd(52) + `  precision ${(100 * b.common / (b.hypBounds || 1)).toFixed(1)}%  recall ${(100 * b.common / (b.refBounds || 1)).toFixed(1)}%  (${b.common} shared, ${b.hypBounds} ours, ${b.refBounds} misaki's)`);
    }
    return;
  }
  const fe = await createTextFrontEnd({ modelsDir });
  const vocab = Vocab.load(modelsDir);
  for (const set of ['tuning', 'heldout']) {
    const rows = loadFixtures(path.join(fixtureDir, `${set}.json`));
    for (const [lang, ref] of [['en-us', 'raw'], ['en-gb', 'raw'], ['en-us', 'norm'], ['en-gb', 'norm']] as Array<['en-us' | 'en-gb', Reference]>) {
      const s = await scoreFixtures(fe, rows, lang, (ps) => vocab.filter(ps), ref);
      console.log(`${set.padEnd(8)} ${lang} vs misaki(${ref === 'raw' ? 'raw text' : 'our normalized text'})`.padEnd(52) + `PER ${(100 * s.per).toFixed(2)}%  (${s.errors}/${s.refSymbols} symbols)  exact ${(100 * s.exactRate).toFixed(1)}% (${s.exact}/${s.sentences})`);
      if (verbose) {
        for (const m of s.mismatches.sort((a, b) => b.distance - a.distance)) {
          console.log(`  [${m.distance}] ${m.text}\n      ref ${m.ref}\n      hyp ${m.hyp}`);
        }
      }
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
