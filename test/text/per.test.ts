// Phoneme error rate against misaki on the committed fixtures must not regress.
// "norm": misaki reading our normalized text (G2P fidelity); "raw": misaki reading the sentence
// as written, where our deliberate normalization (units, dates, phones, URLs...) counts as error.
// Bars: the values reached when this was written, rounded up a little
// (tuning norm 0.22% / 0.13%, raw 2.80% / 2.75%; held-out norm 0.79% / 0.70%, raw 5.46% / 5.48%).
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { editDistance, loadFixtures, scoreFixtures, type Reference } from '../../engine/text/score.js';
import { Vocab } from '../../engine/text/vocab.js';
import { fixtureDir, frontEnd, modelsDir } from './models.js';

test('edit distance counts insertions, deletions and substitutions', () => {
  assert.equal(editDistance([...'ˈæbc'], [...'ˈæbc']), 0);
  assert.equal(editDistance([...'abc'], [...'ˈabc']), 1);
  assert.equal(editDistance([...'kitten'], [...'sitting']), 3);
});

const BARS: Array<[string, 'en-us' | 'en-gb', Reference, number, number]> = [
  // set, lang, reference, max PER, min exact-match rate
  ['tuning', 'en-us', 'norm', 0.0030, 0.95],
  ['tuning', 'en-gb', 'norm', 0.0020, 0.95],
  ['heldout', 'en-us', 'norm', 0.0095, 0.90],
  ['heldout', 'en-gb', 'norm', 0.0085, 0.90],
  ['tuning', 'en-us', 'raw', 0.0300, 0.86],
  ['tuning', 'en-gb', 'raw', 0.0295, 0.86],
  ['heldout', 'en-us', 'raw', 0.0575, 0.74],
  ['heldout', 'en-gb', 'raw', 0.0575, 0.75],
];

for (const [set, lang, ref, maxPer, minExact] of BARS) {
  test(`${set} ${lang} vs misaki(${ref}): PER <= ${(maxPer * 100).toFixed(2)}%, exact >= ${minExact * 100}%`, async () => {
    const fe = await frontEnd();
    const vocab = Vocab.load(modelsDir);
    const rows = loadFixtures(path.join(fixtureDir, `${set}.json`));
    assert.ok(rows.length >= (set === 'tuning' ? 300 : 60));
    const s = await scoreFixtures(fe, rows, lang, (ps) => vocab.filter(ps), ref);
    assert.ok(s.per <= maxPer, `PER ${(s.per * 100).toFixed(2)}%`);
    assert.ok(s.exactRate >= minExact, `exact ${(s.exactRate * 100).toFixed(1)}%`);
  });
}
