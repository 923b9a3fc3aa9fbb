// Phoneme error rate against misaki on the committed fixtures must not regress.
// Bars are the values reached when this was written (tuning en-US 0.49%, en-GB 0.41%;
// held-out en-US 1.61%, en-GB 1.66%), rounded up a little.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { editDistance, loadFixtures, scoreFixtures } from '../../engine/text/score.js';
import { Vocab } from '../../engine/text/vocab.js';
import { fixtureDir, frontEnd, modelsDir } from './models.js';

test('edit distance counts insertions, deletions and substitutions', () => {
  assert.equal(editDistance([...'ˈæbc'], [...'ˈæbc']), 0);
  assert.equal(editDistance([...'abc'], [...'ˈabc']), 1);
  assert.equal(editDistance([...'kitten'], [...'sitting']), 3);
});

const BARS: Array<[string, 'en-us' | 'en-gb', number, number]> = [
  // set, lang, max PER, min exact-match rate
  ['tuning', 'en-us', 0.0060, 0.94],
  ['tuning', 'en-gb', 0.0055, 0.94],
  ['heldout', 'en-us', 0.0185, 0.88],
  ['heldout', 'en-gb', 0.0190, 0.90],
];

for (const [set, lang, maxPer, minExact] of BARS) {
  test(`${set} ${lang}: PER <= ${(maxPer * 100).toFixed(2)}%, exact >= ${minExact * 100}%`, async () => {
    const fe = await frontEnd();
    const vocab = Vocab.load(modelsDir);
    const rows = loadFixtures(path.join(fixtureDir, `${set}.json`));
    assert.ok(rows.length >= (set === 'tuning' ? 300 : 60));
    const s = await scoreFixtures(fe, rows, lang, (ps) => vocab.filter(ps));
    assert.ok(s.per <= maxPer, `PER ${(s.per * 100).toFixed(2)}%`);
    assert.ok(s.exactRate >= minExact, `exact ${(s.exactRate * 100).toFixed(1)}%`);
  });
}
