// The front end's word labels: token ranges over the ids it already made (never new ids), with
// punctuation attached to its word; and filterMapped, which carries offsets through the
// vocabulary filter, must keep exactly what filter keeps.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { attach, pairWords } from '../../engine/text/words.js';
import { Vocab } from '../../engine/text/vocab.js';
import { fixtureDir, frontEnd, modelsDir } from '../text/models.js';

test('attach: punctuation onto its word, opening quotes and silent signs onto the next', () => {
  const got = attach([
    { text: '“', start: 0, end: 1 }, { text: 'Hello', start: 1, end: 5 }, { text: ',', start: 5, end: 6 }, { text: '”', start: 6, end: 7 },
    { text: '$', start: 8, end: 8 }, { text: '10', start: 8, end: 12 }, { text: '—', start: 13, end: 14 }, { text: 'ok', start: 15, end: 17 },
  ]);
  assert.deepEqual(got, [
    { text: '“Hello,”', start: 0, end: 7 }, { text: '$10 —', start: 8, end: 14 }, { text: 'ok', start: 15, end: 17 },
  ]);
});

test('pairWords: espeak phoneme groups paired with words when the counts agree, else one span', () => {
  assert.deepEqual(pairWords('Hola, amigo', 'ˈola, amˈiɣo'), [{ text: 'Hola,', start: 0, end: 5 }, { text: 'amigo', start: 6, end: 12 }]);
  assert.deepEqual(pairWords('de la casa', 'dəla kˈasa'), [{ text: 'de la casa', start: 0, end: 10 }]);
});

test('filterMapped keeps exactly what filter keeps, and maps offsets into it', () => {
  const vocab = Vocab.load(modelsDir);
  const cases = ['  həlˈO,  wˈɜɹld ☃ ok  ', '☃ a', 'a ☃b', '\tx\ny ', '', ' ', 'ab☃☃ cd'];
  for (const c of cases) assert.equal(vocab.filterMapped(c).kept, vocab.filter(c), JSON.stringify(c));
  const { kept, map } = vocab.filterMapped(' ab ☃ cd');
  assert.equal(kept, 'ab cd');
  assert.equal(kept.slice(map[1]!, map[3]!), 'ab');
  assert.equal(kept.slice(map[6]!, map[8]!), 'cd');
});

test('every chunk of the G2P fixture sentences: words cover the spoken tokens in order, texts are the sentence words', async () => {
  const fe = await frontEnd();
  const lines = readFileSync(path.join(fixtureDir, 'sentences.txt'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#')).slice(0, 120);
  let words = 0;
  for (const line of lines) {
    for (const c of await fe.chunk(line, 'en-us')) {
      let prevEnd = 0;
      for (const w of c.words) {
        assert.ok(w.start >= prevEnd && w.end > w.start && w.end <= c.tokens.length, `${line}: ${JSON.stringify(w)} in ${c.tokens.length} tokens`);
        prevEnd = w.end;
      }
      // Every token that is not a space (id 16) or punctuation lies inside some word.
      const covered = new Set(c.words.flatMap((w) => Array.from({ length: w.end - w.start }, (_, i) => w.start + i)));
      const letters = [...c.phonemes].map((ch, i) => [ch, i] as const).filter(([ch]) => /[\p{L}]/u.test(ch));
      for (const [ch, i] of letters) assert.ok(covered.has(i), `${line}: phoneme ${ch} at ${i} in no word (${c.phonemes})`);
      // The words, joined, are the chunk's text with whitespace normalized.
      assert.equal(c.words.map((w) => w.text).join(' ').replace(/\s+/g, ' '), c.text.replace(/\s+/g, ' ').trim(), line);
      words += c.words.length;
    }
  }
  assert.ok(words > 900, `${words} words checked`);
});

test('a plan from phonemes (/dev/generate_from_phonemes): each phoneme group is a word, punctuation attached', async () => {
  const { chunkPhonemes, normalizePhonemes } = await import('../../engine/text/phoneme-chunks.js');
  const vocab = Vocab.load(modelsDir);
  const ps = normalizePhonemes('həlˈO ðˈɛɹ,  wˈɜɹld. ' + 'ðɪs ɪz ə tˈɛst. '.repeat(12), vocab);
  const chunks = chunkPhonemes(ps, vocab);
  assert.ok(chunks.length > 1);
  assert.deepEqual(chunks[0]!.words.slice(0, 3).map((w) => w.text), ['həlˈO', 'ðˈɛɹ,', 'wˈɜɹld.']);
  for (const c of chunks) {
    assert.equal(c.words.map((w) => w.text).join(' '), c.phonemes);
    for (const w of c.words) assert.equal([...c.phonemes].slice(w.start, w.end).join(''), w.text);
  }
});
