// Planning from phonemes: characters to token ids with the real vocabulary, characters outside
// it refused by name, and chunks cut with the text path's sizes (first chunk cap, growth, 510).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkPhonemes, describeChar, FIRST_CHUNK_STRETCH_TOKENS, normalizePhonemes, PhonemeError } from '../../engine/text/phoneme-chunks.js';
import { FIRST_CHUNK_STRETCH_TOKENS as TEXT_STRETCH } from '../../engine/text/index.js';
import { Vocab } from '../../engine/text/vocab.js';
import { MAX_CHUNK_TOKENS } from '../../protocol/constants.js';
import { frontEnd, modelsDir } from './models.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const vocab = Vocab.load(modelsDir);
const table = (JSON.parse(readFileSync(join(modelsDir, 'config.json'), 'utf8')) as { vocab: Record<string, number> }).vocab;

test('each phoneme character is its own id from config.json, spaces included', () => {
  const ps = normalizePhonemes('həlˈO wˈɜɹld.', vocab);
  const [c] = chunkPhonemes(ps, vocab);
  assert.deepEqual(c!.tokens, [...'həlˈO wˈɜɹld.'].map((ch) => table[ch]));
  assert.equal(table[' '], 16);
  assert.equal(c!.phonemes, 'həlˈO wˈɜɹld.');
  assert.equal(c!.text, c!.phonemes, 'a phoneme chunk has no other text');
});

test('whitespace runs (tabs, newlines) become one space; the ends are trimmed', () => {
  assert.equal(normalizePhonemes('  həlˈO \n\t wˈɜɹld.  ', vocab), 'həlˈO wˈɜɹld.');
});

test('characters outside the vocabulary are refused, each named once with its code point', () => {
  let err: unknown;
  try {
    normalizePhonemes('hello wɜrld ɫ ɫ 5!', vocab);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof PhonemeError);
  // 'g' is not in Kokoro's vocabulary (it uses ɡ U+0261); 'ɫ' and '5' neither.
  assert.deepEqual((err as PhonemeError).chars, ['ɫ', '5']);
  assert.match((err as Error).message, /2 character\(s\) outside Kokoro's phoneme vocabulary/);
  assert.ok((err as Error).message.includes(describeChar('ɫ')), (err as Error).message);
  assert.equal(describeChar('ɫ'), '"ɫ" (U+026B)');
  assert.throws(() => normalizePhonemes('ɡo gO', vocab), (e: unknown) => e instanceof PhonemeError && e.chars.join() === 'g');
  assert.throws(() => normalizePhonemes(' \n ', vocab), /must not be empty/);
});

test('a long list of bad characters is cut short in the message but counted', () => {
  const bad = '0123456789BCDEFGHJKL'; // none of these is in the vocabulary
  for (const c of bad) assert.equal(vocab.has(c), false, c);
  assert.throws(() => normalizePhonemes(bad, vocab), (e: unknown) => e instanceof PhonemeError && e.chars.length === bad.length && /and 8 more/.test(e.message));
});

test('only punctuation has nothing to speak: no chunks', () => {
  assert.deepEqual(chunkPhonemes(normalizePhonemes('. , !', vocab), vocab), []);
});

test('a long phoneme text: bounds like text (first chunk ≤ its cap at a boundary, growth, ≤ 510), nothing lost', async () => {
  const fe = await frontEnd();
  const text = 'The lighthouse keeper climbed the spiral stairs every evening, counting each of the steps, and when he reached the lamp room he wiped the glass. ' +
    'Ships passed in the dark; some signalled, most did not. '.repeat(12) + Array.from({ length: 150 }, () => 'lantern').join(' ') + '.';
  const ps = normalizePhonemes(await fe.phonemize(text, 'en-us'), vocab);
  const chunks = chunkPhonemes(ps, vocab, { firstChunkTokens: 40 });
  assert.ok(chunks.length >= 4, `${chunks.length} chunks`);
  chunks.forEach((c, i) => {
    assert.equal(c.index, i);
    assert.ok(c.tokens.length >= 1 && c.tokens.length <= MAX_CHUNK_TOKENS, `chunk ${i}: ${c.tokens.length}`);
    assert.deepEqual(c.tokens, vocab.encode(c.phonemes));
  });
  assert.ok(chunks[0]!.tokens.length <= FIRST_CHUNK_STRETCH_TOKENS, `chunk 0: ${chunks[0]!.tokens.length} tokens`);
  assert.ok(chunks[1]!.tokens.length <= 120, `chunk 1 grows at most threefold: ${chunks[1]!.tokens.length}`);
  assert.ok(chunks.slice(2).some((c) => c.tokens.length > 120), 'later chunks are packed towards the target');
  // Cuts fall between words: joined back with spaces, the chunks are the input exactly.
  assert.equal(chunks.map((c) => c.phonemes).join(' '), ps);
  // Chunk 0 ends at a clause comma (stretched past 40 tokens to reach one, as for text).
  assert.match(chunks[0]!.phonemes, /,$/);
  // Deterministic: every engine plans the same phonemes the same way.
  assert.deepEqual(chunkPhonemes(ps, vocab, { firstChunkTokens: 40 }), chunks);
});

test('growth off (CHUNK_RAMP=0): every later chunk packed to the target; one word over 510 is cut at 510', () => {
  const word = 'ə'.repeat(1200);
  const chunks = chunkPhonemes(normalizePhonemes(`hˈI. ${word}.`, vocab), vocab, { growth: Infinity });
  assert.deepEqual(chunks.map((c) => c.tokens.length), [4, 510, 510, 181]);
});

test('the first-chunk stretch is the text front end\'s', () => {
  assert.equal(FIRST_CHUNK_STRETCH_TOKENS, TEXT_STRETCH);
});

test('short first sentences are gathered into chunk 0 until it has three words', () => {
  const chunks = chunkPhonemes(normalizePhonemes('hˈI. ðˈɛɹ. hˌaʊ ɑɹ ju? ˈɔl wˈɛl hˈɪɹ.', vocab), vocab);
  assert.deepEqual(chunks.map((c) => c.phonemes), ['hˈI. ðˈɛɹ. hˌaʊ ɑɹ ju?', 'ˈɔl wˈɛl hˈɪɹ.']);
});
