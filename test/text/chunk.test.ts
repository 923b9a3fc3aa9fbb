// Chunking: the 510-token bound, whole words only, determinism, a short first chunk.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTextFrontEnd, FIRST_CHUNK_STRETCH_TOKENS, type PreparedChunk } from '../../engine/text/index.js';
import { normalizeText } from '../../engine/text/normalize.js';
import { frontEnd, modelsDir } from './models.js';
import { MAX_CHUNK_TOKENS } from '../../protocol/constants.js';

const PARAGRAPH = 'The lighthouse keeper climbed the spiral stairs every evening, counting each of the one hundred and twelve steps, ' +
  'and when he reached the lamp room he wiped the glass, trimmed the wick, and wrote the time in a leather notebook. ' +
  'Ships passed in the dark; some signalled, most did not. ';
// A long text: several paragraphs, one enormous sentence with commas only, one with no punctuation at all.
const LONG = [
  PARAGRAPH.repeat(6),
  Array.from({ length: 60 }, (_, i) => `the ${i + 1}th wave rolled in`).join(', ') + '.',
  Array.from({ length: 150 }, () => 'lantern').join(' ') + '.',
  PARAGRAPH,
].join('\n\n');

const words = (s: string): string[] => s.split(/\s+/).filter(Boolean);

function checkBounds(chunks: PreparedChunk[], max: number): void {
  chunks.forEach((c, i) => {
    assert.equal(c.index, i);
    assert.ok(c.tokens.length > 0, `chunk ${i} has tokens`);
    assert.ok(c.tokens.length <= max, `chunk ${i}: ${c.tokens.length} tokens > ${max}`);
    assert.ok(!c.tokens.includes(0), 'no pad ids inside a chunk');
  });
}

test('chunks never exceed 510 tokens and never split a word', async () => {
  const fe = await frontEnd();
  const chunks = await fe.chunk(LONG, 'en-us');
  assert.ok(chunks.length >= 6, `several chunks (${chunks.length})`);
  checkBounds(chunks, MAX_CHUNK_TOKENS);
  // Every word of the (normalized) input appears, whole and in order, across the chunk texts.
  assert.deepEqual(chunks.flatMap((c) => words(c.text)), words(normalizeText(LONG, 'en-us')));
});

test('a smaller maxTokens is honoured, even for a sentence without punctuation', async () => {
  const fe = await frontEnd();
  const chunks = await fe.chunk(LONG, 'en-gb', { maxTokens: 64, firstChunkTokens: 30, targetTokens: 50 });
  checkBounds(chunks, 64);
  assert.deepEqual(chunks.flatMap((c) => words(c.text)), words(normalizeText(LONG, 'en-gb')));
  // maxTokens above the model's limit is capped at 510.
  checkBounds(await fe.chunk(LONG, 'en-us', { maxTokens: 5000, targetTokens: 5000 }), MAX_CHUNK_TOKENS);
});

test('the first chunk is short and later chunks are packed towards the target', async () => {
  const fe = await frontEnd();
  const chunks = await fe.chunk(LONG, 'en-us', { firstChunkTokens: 80, targetTokens: 200 });
  assert.ok(chunks[0].tokens.length <= 80, `first chunk ${chunks[0].tokens.length} tokens`);
  const later = chunks.slice(1, -1).map((c) => c.tokens.length);
  const mean = later.reduce((a, b) => a + b, 0) / later.length;
  assert.ok(mean > 100 && mean <= 260, `later chunks average ${mean.toFixed(0)} tokens`);
});

test('the same input gives the same chunks, in this and in a fresh front end', async () => {
  const fe = await frontEnd();
  const a = await fe.chunk(LONG, 'en-us');
  const b = await fe.chunk(LONG, 'en-us');
  assert.deepEqual(b, a);
  const fresh = await createTextFrontEnd({ modelsDir });
  assert.deepEqual(await fresh.chunk(LONG, 'en-us'), a);
});

test('chunk phonemes and tokens agree with phonemize and the vocabulary', async () => {
  const fe = await frontEnd();
  const [only] = await fe.chunk('Hello world.', 'en-us');
  assert.equal(only.phonemes, await fe.phonemize('Hello world.', 'en-us'));
  // h ə l ˈ O space w ˈ ɜ ɹ l d . -> ids from config.json's vocab
  assert.deepEqual(only.tokens, [50, 83, 54, 156, 31, 16, 65, 156, 87, 123, 54, 46, 4]);
});

test('text with nothing to say gives no chunks', async () => {
  const fe = await frontEnd();
  assert.deepEqual(await fe.chunk('', 'en-us'), []);
  assert.deepEqual(await fe.chunk('   \n\n  ', 'en-us'), []);
  assert.deepEqual(await fe.chunk('... !!! ?', 'en-us'), []);
  const some = await fe.chunk('... Hi!', 'en-us');
  assert.equal(some.length, 1);
});

test('odd input never throws and never yields an empty or oversized chunk', async () => {
  const fe = await frontEnd();
  const odd = ['a'.repeat(3000), 'Ab'.repeat(300), '9'.repeat(40), '$' + '9'.repeat(30) + '.99', '£.5', '--5', "''''", '…'.repeat(20),
    '😀 hello 你好 мир', '12:99 99:99 2024-13-45', 'http:// www. @@@ # % & + @', '1..2 .5.5.5 -1.-2', "I'm'nt'd've", '\u0000\u0001 ﬁ ²³'];
  for (const text of odd) {
    for (const lang of ['en-us', 'en-gb'] as const) {
      checkBounds(await fe.chunk(text, lang), MAX_CHUNK_TOKENS);
      assert.equal(typeof (await fe.phonemize(text, lang)), 'string');
    }
  }
});

// ---- the incremental front end and the first chunk ------------------------------------------

const CHAT = [
  'Every morning the harbor wakes before the town does. Fishing boats slide out past the breakwater while the gulls argue.',
  'When the storm finally passed, the neighbors came outside to look at the damage. A few branches had fallen across the road.',
  'Sure! Here is what I would do: first, back up the database, then run the migration on a copy.',
  'The recipe looks simple, but the order matters.',
  'Hi. Yes.',
  'Trains into the city were running about ten minutes late this evening because of work on the signals near the river bridge.',
];

async function collect(gen: AsyncGenerator<PreparedChunk>): Promise<PreparedChunk[]> {
  const out: PreparedChunk[] = [];
  for await (const c of gen) out.push(c);
  return out;
}

test('chunks() yields exactly what chunk() returns, for every option set', async () => {
  const fe = await frontEnd();
  for (const text of [LONG, ...CHAT]) {
    for (const opts of [{}, { firstChunkTokens: 20 }, { firstChunkTokens: 80, targetTokens: 250 }, { maxTokens: 64, firstChunkTokens: 30, targetTokens: 50 }]) {
      assert.deepEqual(await collect(fe.chunks(text, 'en-us', opts)), await fe.chunk(text, 'en-us', opts), `${text.slice(0, 30)} ${JSON.stringify(opts)}`);
    }
  }
});

test('the first chunk ends at the best natural boundary under the cap, never mid-word', async () => {
  const fe = await frontEnd();
  // A first sentence that fits is chunk 0 whole.
  assert.equal((await fe.chunk(CHAT[3]!, 'en-us', { firstChunkTokens: 60 }))[0]!.text, 'The recipe looks simple, but the order matters.');
  // Clause punctuation beats a longer cut at a plain word.
  assert.equal((await fe.chunk(CHAT[1]!, 'en-us', { firstChunkTokens: 40 }))[0]!.text, 'When the storm finally passed,');
  assert.equal((await fe.chunk(CHAT[3]!, 'en-us', { firstChunkTokens: 30 }))[0]!.text, 'The recipe looks simple,');
  // No punctuation in reach: the phrase boundary before a conjunction or preposition.
  const noStretch = { firstChunkTokens: 40, firstChunkStretchTokens: 0 };
  assert.equal((await fe.chunk(CHAT[0]!, 'en-us', noStretch))[0]!.text, 'Every morning the harbor wakes');
  assert.equal((await fe.chunk(CHAT[5]!, 'en-us', noStretch))[0]!.text, 'Trains into the city were running');
  // By default chunk 0 stretches past the cap (to FIRST_CHUNK_STRETCH_TOKENS) to reach a sentence end...
  assert.equal((await fe.chunk(CHAT[0]!, 'en-us', { firstChunkTokens: 40 }))[0]!.text, 'Every morning the harbor wakes before the town does.');
  // ...but not when there is none in reach,
  assert.equal((await fe.chunk(CHAT[5]!, 'en-us', { firstChunkTokens: 40 }))[0]!.text, 'Trains into the city were running');
  // and not when the cap already reaches punctuation.
  assert.equal((await fe.chunk(CHAT[1]!, 'en-us', { firstChunkTokens: 40, firstChunkStretchTokens: 80 }))[0]!.text, 'When the storm finally passed,');
  // A first sentence too short to stand alone takes the next ones that fit.
  assert.equal((await fe.chunk('Hi. Yes. I can help with that today.', 'en-us', { firstChunkTokens: 40 }))[0]!.text, 'Hi. Yes. I can help with that today.');
  // Whatever the cap: whole words, at most the cap, at least two words when cut inside a sentence,
  // never ending on an article or the like, and the words of all chunks are the text's, in order.
  for (const text of [...CHAT, PARAGRAPH]) {
    const norm = words(normalizeText(text, 'en-us'));
    for (const cap of [25, 30, 35, 40, 50, 60, 80]) {
      const chunks = await fe.chunk(text, 'en-us', { firstChunkTokens: cap });
      const first = chunks[0]!;
      const w = words(first.text);
      // At most the cap, or at most the stretch when that ends at punctuation.
      assert.ok(first.tokens.length <= Math.max(cap, FIRST_CHUNK_STRETCH_TOKENS), `${first.tokens.length} > ${cap}: ${first.text}`);
      if (first.tokens.length > cap) assert.match(first.text, /[,;:—.!?…]["'”’)]*$/, `cap ${cap}: stretched chunk 0 "${first.text}" ends at punctuation`);
      const capped = (await fe.chunk(text, 'en-us', { firstChunkTokens: cap, firstChunkStretchTokens: 0 }))[0]!;
      assert.ok(capped.tokens.length <= cap, `${capped.tokens.length} > ${cap}: ${capped.text}`);
      assert.deepEqual(w, norm.slice(0, w.length), 'chunk 0 is a word-aligned prefix');
      assert.deepEqual(chunks.flatMap((c) => words(c.text)), norm);
      // (A whole short sentence, "Sure!", is a natural end: only a cut inside a sentence needs words.)
      if (norm.length >= 3) assert.ok(w.length >= 2 || /[.!?]$/.test(first.text), `cap ${cap}: "${first.text}"`);
      assert.ok(!/^(the|a|an|of|to|my|your|their)$/i.test(w.at(-1)!), `cap ${cap}: "${first.text}" ends on a dangling word`);
    }
  }
});

test('the first chunk does not depend on what follows the first sentence, and the cut is deterministic', async () => {
  const fe = await frontEnd();
  const head = 'When the storm finally passed, the neighbors came outside to look at the damage.';
  const a = await fe.chunk(`${head} ${PARAGRAPH}`, 'en-us', { firstChunkTokens: 40 });
  const b = await fe.chunk(`${head} Short.`, 'en-us', { firstChunkTokens: 40 });
  assert.deepEqual(a[0], b[0]);
  const fresh = await createTextFrontEnd({ modelsDir });
  for (const cap of [25, 40]) assert.deepEqual(await fresh.chunk(LONG, 'en-us', { firstChunkTokens: cap }), await fe.chunk(LONG, 'en-us', { firstChunkTokens: cap }));
});

test('chunks() hands out chunk 0 before reading the rest of a long text', async () => {
  const fe = await frontEnd();
  // Timings printed for the record; the only assertion is an ordering that cannot flake.
  const book = Array.from({ length: 200 }, () => PARAGRAPH).join('\n\n');
  const gen = fe.chunks(book, 'en-us');
  const t0 = performance.now();
  const first = await gen.next();
  const firstMs = performance.now() - t0;
  assert.equal(first.value?.index, 0);
  let n = 1;
  for await (const _ of gen) n++;
  const allMs = performance.now() - t0;
  assert.ok(n > 100, `${n} chunks`);
  console.log(`chunk 0 after ${firstMs.toFixed(1)} ms, all ${n} chunks after ${allMs.toFixed(0)} ms`);
  assert.ok(firstMs < allMs);
});

test('chunks grow from the short first one towards the target, by at most the growth factor', async () => {
  const fe = await frontEnd();
  const ramp = await fe.chunk(LONG, 'en-us', { firstChunkTokens: 40, targetTokens: 200, growth: 3 });
  assert.ok(ramp[0]!.tokens.length <= FIRST_CHUNK_STRETCH_TOKENS); // 40, or a stretch to punctuation
  assert.ok(ramp[1]!.tokens.length <= 120, `chunk 1: ${ramp[1]!.tokens.length}`);
  // From chunk 2 on, the usual packing (a single sentence may pass the target, never 510).
  checkBounds(ramp, MAX_CHUNK_TOKENS);
  const flat = await fe.chunk(LONG, 'en-us', { firstChunkTokens: 40, targetTokens: 200, growth: Infinity });
  assert.ok(flat[1]!.tokens.length > 120, `without growth chunk 1 packs to the target (${flat[1]!.tokens.length})`);
  assert.deepEqual(flat[0], ramp[0]);
  assert.deepEqual(flat.flatMap((c) => words(c.text)), ramp.flatMap((c) => words(c.text)));
});
