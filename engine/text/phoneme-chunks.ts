// Planning from phonemes (/dev/generate_from_phonemes, `speak --phonemes`): a Kokoro phoneme
// string, as /dev/phonemize returns it, is mapped to token ids one character at a time with the
// model's vocabulary and cut into chunks with the same sizes as text (chunk 0 at most the
// first-chunk cap, then growing towards the target, never over 510 tokens), at sentence ends,
// else clause punctuation, else between words. No G2P runs, so this is cheap and language-free.
import { chunkWords, pairWords } from './words.js';
import { MAX_CHUNK_TOKENS } from '../../protocol/constants.js';
import { CHUNK_GROWTH, DEFAULT_FIRST_CHUNK_TOKENS, DEFAULT_TARGET_TOKENS } from './chunk-sizes.js';
import type { ChunkOptions, PreparedChunk } from './index.js';
import type { Vocab } from './vocab.js';

/** Phonemes the model cannot read: `chars` are the offending characters, each once. */
export class PhonemeError extends Error {
  constructor(message: string, readonly chars: readonly string[] = []) {
    super(message);
    this.name = 'PhonemeError';
  }
}

/** How a character is named in an error: the character itself (JSON-quoted) and its code point. */
export function describeChar(c: string): string {
  return `${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
}

/** Most offending characters an error lists (the rest are counted). */
const MAX_LISTED = 12;

/**
 * The phoneme string with every run of whitespace made one space and the ends trimmed; throws
 * PhonemeError naming every character outside the vocabulary (nothing is dropped silently:
 * a typo in a hand-fixed pronunciation should be seen, not skipped).
 */
export function normalizePhonemes(phonemes: string, vocab: Vocab): string {
  const tidy = phonemes.replace(/\s+/gu, ' ').trim();
  if (tidy === '') throw new PhonemeError('phonemes must not be empty');
  const bad: string[] = [];
  for (const c of new Set(tidy)) if (!vocab.has(c)) bad.push(c);
  if (bad.length) {
    const listed = bad.slice(0, MAX_LISTED).map(describeChar).join(', ');
    const more = bad.length > MAX_LISTED ? ` and ${bad.length - MAX_LISTED} more` : '';
    throw new PhonemeError(`phonemes contain ${bad.length} character(s) outside Kokoro's phoneme vocabulary: ${listed}${more}`, bad);
  }
  return tidy;
}

// A unit that is only punctuation makes no speech (the text front end drops them too).
const PUNCT_ONLY = /^[\s;:,.!?—…"“”()]*$/u;
const SENTENCE_END = /(?<=[.!?…][")”]*) /u;
const CLAUSE_END = /(?<=[,;:—][")”]*) /u;
/** Fewest words in a first chunk before it is closed at a sentence end (index.ts FIRST_CHUNK_MIN_WORDS). */
const FIRST_CHUNK_MIN_WORDS = 3;
/**
 * Chunk 0 may stretch to this many tokens to end at punctuation (index.ts
 * FIRST_CHUNK_STRETCH_TOKENS; kept here so the gateway need not load the text front end to
 * read phonemes; a test checks that the two agree).
 */
export const FIRST_CHUNK_STRETCH_TOKENS = 60;
const ENDS_AT_PUNCTUATION = /[,;:—.!?…][")”]*$/u;

/**
 * The head of a sentence that becomes chunk 0, given `cut` (the longest prefix within the cap):
 * `cut` when it ends at punctuation, else the whole sentence when it fits `stretch`, else the
 * longest run of whole clauses that fits `stretch`, else `cut`. Kokoro ends a chunk with a
 * falling, final intonation; at punctuation that sounds as it should (see index.ts).
 */
function firstHead(sentence: string, cut: string, stretch: number): string {
  if (ENDS_AT_PUNCTUATION.test(cut) || stretch <= size(cut)) return cut;
  if (size(sentence) <= stretch) return sentence;
  let head = '';
  for (const clause of sentence.split(CLAUSE_END).slice(0, -1)) {
    const next = head ? `${head} ${clause}` : clause;
    if (size(next) > stretch) break;
    head = next;
  }
  return size(head) > size(cut) && head.split(' ').length >= FIRST_CHUNK_MIN_WORDS ? head : cut;
}

const size = (s: string): number => [...s].length;

/** Pieces of `s` of at most `limit` tokens: whole, else clauses, else words, else a hard cut. */
function fit(s: string, limit: number): string[] {
  if (size(s) <= limit) return [s];
  const clauses = s.split(CLAUSE_END);
  const pieces = clauses.length > 1 ? clauses : s.split(' ');
  if (pieces.length === 1) {
    // One "word" longer than the limit: cut it at the limit.
    const chars = [...s];
    const out: string[] = [];
    for (let i = 0; i < chars.length; i += limit) out.push(chars.slice(i, i + limit).join(''));
    return out;
  }
  const out: string[] = [];
  let cur = '';
  for (const p of pieces.flatMap((p) => fit(p, limit))) {
    if (cur && size(cur) + 1 + size(p) > limit) {
      out.push(cur);
      cur = '';
    }
    cur = cur ? `${cur} ${p}` : p;
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * The chunks of an already normalized phoneme string (normalizePhonemes), each with its token
 * ids; `text` is the chunk's phonemes (there is no other text). Empty when only punctuation.
 */
export function chunkPhonemes(phonemes: string, vocab: Vocab, opts: ChunkOptions = {}): PreparedChunk[] {
  const max = Math.max(1, Math.min(MAX_CHUNK_TOKENS, Math.floor(opts.maxTokens ?? MAX_CHUNK_TOKENS)));
  const first = Math.max(1, Math.min(max, Math.floor(opts.firstChunkTokens ?? DEFAULT_FIRST_CHUNK_TOKENS)));
  const target = Math.max(1, Math.min(max, Math.floor(opts.targetTokens ?? DEFAULT_TARGET_TOKENS)));
  const growth = Math.max(1, opts.growth ?? CHUNK_GROWTH);
  const budget = (k: number): number => Math.min(target, Math.max(1, Math.floor(first * growth ** k)));
  // While chunks still grow, a sentence over the budget is split to fit it; after, only over 510.
  const limit = (k: number): number => (budget(k) < target ? budget(k) : max);

  const out: PreparedChunk[] = [];
  let cur: string[] = [];
  let curSize = 0;
  const flush = () => {
    if (!cur.length) return;
    const ps = cur.join(' ');
    // Word timestamps label each space-separated group of phonemes with itself (there is no text).
    out.push({ index: out.length, text: ps, phonemes: ps, tokens: vocab.encode(ps), words: chunkWords([{ phonemes: ps, words: pairWords(ps, ps) }], ps) });
    cur = [];
    curSize = 0;
  };
  const add = (u: string) => {
    curSize += (cur.length ? 1 : 0) + size(u);
    cur.push(u);
  };
  const stretch = Math.min(max, Math.floor(opts.firstChunkStretchTokens ?? FIRST_CHUNK_STRETCH_TOKENS));
  for (const sentence of phonemes.split(SENTENCE_END)) {
    let rest = sentence;
    while (rest) {
      const units = fit(rest, limit(out.length));
      if (out.length === 0 && units.length > 1) {
        // Chunk 0 ends inside this sentence: after what waits, if anything, else at its cut.
        if (cur.length) {
          flush();
          continue; // the rest is fitted again to chunk 1's limit
        }
        const head = firstHead(rest, units[0]!, stretch);
        if (!PUNCT_ONLY.test(head)) add(head);
        flush();
        rest = rest.slice(head.length).trimStart();
        continue;
      }
      for (const u of units) {
        if (PUNCT_ONLY.test(u)) continue;
        if (cur.length && curSize + 1 + size(u) > budget(out.length)) flush();
        add(u);
      }
      // Chunk 0 closes at a sentence end once it has a few words: first audio comes soon.
      if (out.length === 0 && cur.join(' ').split(' ').length >= FIRST_CHUNK_MIN_WORDS) flush();
      rest = '';
    }
  }
  flush();
  return out;
}
