// Public text front end: text -> Kokoro phonemes -> token ids, packed into chunks.
import { espeakWord } from './espeak.js';
import { G2P } from './g2p.js';
import { Lexicon } from './lexicon.js';
import { normalizeText } from './normalize.js';
import { splitClauses, splitSentences } from './sentences.js';
import { Vocab, type Log } from './vocab.js';
import { hasLangFrontEnd, normalizeFor, phonemizeLang, splitSentencesLang, splitWords } from './lang/front-end.js';
import { MAX_CHUNK_TOKENS, type Lang } from '../../protocol/constants.js';
import { chunkWords, pairWords, type ChunkWord, type PhonemeWord } from './words.js';

export interface PreparedChunk {
  index: number; text: string; phonemes: string; tokens: number[];
  /** The words of the chunk and the token range [start, end) each was read as (words.ts). */
  words: ChunkWord[];
}
export interface ChunkOptions {
  maxTokens?: number;
  firstChunkTokens?: number;
  targetTokens?: number;
  /**
   * Chunk k (k ≥ 1) is packed towards min(targetTokens, firstChunkTokens × growth^k), so each
   * chunk is synthesized while the one before it plays (default CHUNK_GROWTH; Infinity: off).
   */
  growth?: number;
  /** Chunk 0 may stretch to this many tokens to end at punctuation (default FIRST_CHUNK_STRETCH_TOKENS; 0: off). */
  firstChunkStretchTokens?: number;
}
export interface TextFrontEnd {
  phonemize(text: string, lang: Lang): Promise<string>;
  /** Every chunk at once: collects chunks(). */
  chunk(text: string, lang: Lang, opts?: ChunkOptions): Promise<PreparedChunk[]>;
  /** The same chunks, each yielded as soon as the front end has produced it. */
  chunks(text: string, lang: Lang, opts?: ChunkOptions): AsyncGenerator<PreparedChunk>;
}
export type { Lang };
import { CHUNK_GROWTH, DEFAULT_FIRST_CHUNK_TOKENS, DEFAULT_TARGET_TOKENS } from './chunk-sizes.js';
export { CHUNK_GROWTH, DEFAULT_FIRST_CHUNK_TOKENS, DEFAULT_TARGET_TOKENS };

/** `words`: offsets into `phonemes` (UTF-16 units). */
interface Unit { text: string; phonemes: string; tokens: number[]; words: PhonemeWord[] }

const PUNCT_ONLY = /^[\s;:,.!?¡¿—…"“”«»()]*$/;

const isEnglish = (lang: Lang): lang is 'en-us' | 'en-gb' => lang === 'en-us' || lang === 'en-gb';

class FrontEnd implements TextFrontEnd {
  private readonly g2p: Record<'en-us' | 'en-gb', G2P | undefined> = { 'en-us': undefined, 'en-gb': undefined };
  constructor(private readonly modelsDir: string, private readonly vocab: Vocab, private readonly log?: Log) {}

  private engine(lang: Lang): G2P {
    if (!isEnglish(lang)) throw new Error(`unsupported language: ${String(lang)}`);
    let g = this.g2p[lang];
    if (!g) {
      g = new G2P(new Lexicon(lang === 'en-gb', this.modelsDir));
      this.g2p[lang] = g;
    }
    return g;
  }

  /** Phonemes of one piece of text, filtered to the vocabulary, and which phonemes each word became. */
  private async piece(text: string, lang: Lang): Promise<{ phonemes: string; words: PhonemeWord[] }> {
    if (isEnglish(lang)) {
      const r = await this.engine(lang).phonemizeWords(text);
      const phonemes = this.vocab.filter(r.phonemes, this.log);
      const { kept, map } = this.vocab.filterMapped(r.phonemes);
      // filterMapped is filter without the log; should they ever differ, the words are dropped
      // rather than pointing at the wrong phonemes (the tokens never depend on them).
      if (kept !== phonemes) return { phonemes, words: [{ text, start: 0, end: phonemes.length }] };
      return { phonemes, words: r.words.map((w) => ({ text: w.text, start: map[w.start]!, end: map[w.end]! })) };
    }
    const phonemes = this.vocab.filter(await phonemizeLang(text, lang), this.log);
    return { phonemes, words: pairWords(text, phonemes) };
  }

  /** Fails for a language with no front end, before anything is read. */
  private check(lang: Lang): void {
    if (isEnglish(lang)) this.engine(lang);
    else if (!hasLangFrontEnd(lang)) throw new Error(`unsupported language: ${String(lang)}`);
  }

  /** The normalized text of `text`, split into sentences, the way `lang` reads. */
  private sentences(text: string, lang: Lang): string[] {
    return isEnglish(lang) ? splitSentences(normalizeText(text, lang)) : splitSentencesLang(normalizeFor(lang, text), lang);
  }

  /**
   * What the model is fed, the phonemes of every chunk joined by a space, except that the first
   * sentence is not cut short for latency: G2P of whole sentences (what g2p:score measures).
   */
  async phonemize(text: string, lang: Lang): Promise<string> {
    return (await this.chunk(text, lang, { firstChunkTokens: MAX_CHUNK_TOKENS, growth: Infinity })).map((c) => c.phonemes).join(' ');
  }

  private async unit(text: string, lang: Lang): Promise<Unit | null> {
    const { phonemes, words } = await this.piece(text, lang);
    if (PUNCT_ONLY.test(phonemes)) return null;
    return { text, phonemes, tokens: this.vocab.encode(phonemes), words };
  }

  /** Units no longer than `limit` tokens: whole sentence, else clauses, else runs of words. */
  private async fit(text: string, lang: Lang, limit: number): Promise<Unit[]> {
    const whole = await this.unit(text, lang);
    if (!whole) return [];
    if (whole.tokens.length <= limit) return [whole];
    const clauses = splitClauses(text);
    const pieces = clauses.length > 1 ? clauses : splitWords(text, lang);
    if (pieces.length === 1) return this.hardSplit(whole, limit);
    // Each piece is measured once; groups are packed on those sizes, then checked as a whole
    // (context can change a group's phonemes slightly), giving back pieces until it fits.
    const sized: Array<{ text: string; size: number }> = [];
    for (const p of pieces) sized.push({ text: p, size: (await this.unit(p, lang))?.tokens.length ?? 0 });
    const out: Unit[] = [];
    let i = 0;
    while (i < sized.length) {
      if (sized[i].size > limit) {
        out.push(...(await this.fit(sized[i].text, lang, limit)));
        i++;
        continue;
      }
      let j = i;
      let total = 0;
      while (j < sized.length && sized[j].size <= limit && total + (j > i ? 1 : 0) + sized[j].size <= limit) {
        total += (j > i ? 1 : 0) + sized[j].size;
        j++;
      }
      for (;;) {
        const u = await this.unit(sized.slice(i, j).map((p) => p.text).join(' '), lang);
        if (!u || u.tokens.length <= limit || j === i + 1) {
          if (u && u.tokens.length > limit) out.push(...this.hardSplit(u, limit));
          else if (u) out.push(u);
          break;
        }
        j--;
      }
      i = j;
    }
    return out;
  }

  /** A single "word" longer than the limit (pathological input): cut its phonemes at the limit. */
  private hardSplit(u: Unit, limit: number): Unit[] {
    const out: Unit[] = [];
    const chars = [...u.phonemes];
    for (let i = 0; i < chars.length; i += limit) {
      const phonemes = chars.slice(i, i + limit).join('').trim();
      if (phonemes && !PUNCT_ONLY.test(phonemes)) out.push({ text: u.text, phonemes, tokens: this.vocab.encode(phonemes), words: [{ text: u.text, start: 0, end: phonemes.length }] });
    }
    return out;
  }

  async chunk(text: string, lang: Lang, opts: ChunkOptions = {}): Promise<PreparedChunk[]> {
    const out: PreparedChunk[] = [];
    for await (const c of this.chunks(text, lang, opts)) out.push(c);
    return out;
  }

  /**
   * The chunks of `text`, each yielded as soon as it is complete: the text is normalized,
   * split into sentences and phonemized one sentence at a time, so chunk 0 is out after the
   * first sentence (or a clause of it) and the rest is read while it plays.
   */
  async *chunks(text: string, lang: Lang, opts: ChunkOptions = {}): AsyncGenerator<PreparedChunk> {
    const max = Math.max(1, Math.min(MAX_CHUNK_TOKENS, Math.floor(opts.maxTokens ?? MAX_CHUNK_TOKENS)));
    const first = Math.max(1, Math.min(max, Math.floor(opts.firstChunkTokens ?? DEFAULT_FIRST_CHUNK_TOKENS)));
    const target = Math.max(1, Math.min(max, Math.floor(opts.targetTokens ?? DEFAULT_TARGET_TOKENS)));
    const growth = Math.max(1, opts.growth ?? CHUNK_GROWTH);
    const budget = (k: number): number => Math.min(target, Math.max(1, Math.floor(first * growth ** k)));
    // Units for the chunk being filled: while the chunks still grow, a sentence longer than the
    // budget is split (at clauses, else words) to fit it; after that, only beyond 510 tokens.
    const limit = (): number => (budget(index) < target ? budget(index) : max);
    this.check(lang); // an unsupported language fails before anything is yielded
    let index = 0;
    let cur: Unit[] = [];
    let curTokens = 0;
    const flush = (): PreparedChunk | null => {
      if (!cur.length) return null;
      const phonemes = cur.map((u) => u.phonemes).join(' ');
      const c = { index: index++, text: cur.map((u) => u.text).join(' '), phonemes, tokens: this.vocab.encode(phonemes), words: chunkWords(cur, phonemes) };
      cur = [];
      curTokens = 0;
      return c;
    };
    const add = (u: Unit): void => {
      cur.push(u);
      curTokens = curTokens + (cur.length > 1 ? 1 : 0) + u.tokens.length;
    };
    // Sentences are split lazily: the normalizer is cheap, G2P is the cost, and it runs one
    // sentence at a time.
    const sentences = this.sentences(text, lang);
    let s = 0;
    // Chunk 0: the first sentence when it fits the first-chunk cap, else its longest prefix
    // under the cap that ends at the best natural boundary; a first sentence of fewer than
    // FIRST_CHUNK_MIN_WORDS words takes the next whole sentences that still fit.
    while (index === 0 && s < sentences.length) {
      const sentence = sentences[s++]!;
      const whole = await this.unit(sentence, lang);
      if (!whole) continue;
      const joined = curTokens + (cur.length ? 1 : 0) + whole.tokens.length;
      if (joined <= first) {
        add(whole);
        if (splitWords(cur.map((u) => u.text).join(' '), lang).filter(Boolean).length >= FIRST_CHUNK_MIN_WORDS) yield flush()!;
        continue;
      }
      if (cur.length) {
        // Something short is waiting and this sentence does not fit beside it: the sentence
        // end is the best boundary there is.
        yield flush()!;
        for (const u of await this.fit(sentence, lang, limit())) yield* this.pack(u, () => cur, add, flush, () => curTokens, budget(index), max);
        break;
      }
      const cut = await this.punctuatedFirstCut(sentence, whole, lang, first,
        Math.min(max, Math.floor(opts.firstChunkStretchTokens ?? FIRST_CHUNK_STRETCH_TOKENS)));
      if (cut) {
        add(cut.head);
        yield flush()!;
        if (cut.rest) for (const u of await this.fit(cut.rest, lang, limit())) yield* this.pack(u, () => cur, add, flush, () => curTokens, budget(index), max);
      } else {
        // No word boundary under the cap (one enormous word): the old packing on cap-sized units.
        for (const u of await this.fit(sentence, lang, first)) {
          if (index === 0) {
            const j = curTokens + (cur.length ? 1 : 0) + u.tokens.length;
            if (cur.length && j > first) yield flush()!;
            add(u);
            if (index === 0 && curTokens >= first) yield flush()!;
          } else yield* this.pack(u, () => cur, add, flush, () => curTokens, budget(index), max);
        }
      }
    }
    for (; s < sentences.length; s++) {
      for (const u of await this.fit(sentences[s]!, lang, limit())) yield* this.pack(u, () => cur, add, flush, () => curTokens, budget(index), max);
    }
    const last = flush();
    if (last) yield last;
  }

  /** Adds a unit to the open chunk, first yielding that chunk when the unit would overfill it. */
  private *pack(u: Unit, cur: () => Unit[], add: (u: Unit) => void, flush: () => PreparedChunk | null, tokens: () => number, target: number, max: number): Generator<PreparedChunk> {
    const joined = tokens() + (cur().length ? 1 : 0) + u.tokens.length;
    if (cur().length && (joined > target || joined > max)) yield flush()!;
    add(u);
  }

  /**
   * firstCut, preferring punctuation: a cut under the cap that ends at punctuation stands; else
   * the whole sentence when it fits `stretch` tokens; else the longest prefix ending at clause
   * punctuation that fits `stretch`; else firstCut's cut. Kokoro ends a chunk cut mid-phrase
   * with a falling, sentence-final intonation (5-7 dB quieter over the last 300 ms than the
   * same words inside a sentence: bench/seam.ts); at punctuation it sounds as it should.
   */
  private async punctuatedFirstCut(sentence: string, whole: Unit, lang: Lang, cap: number, stretch: number): Promise<{ head: Unit; rest: string } | null> {
    const cut = await this.firstCut(sentence, whole, lang, cap);
    if (stretch <= cap) return cut;
    const words = splitWords(sentence, lang);
    if (cut?.rest) {
      const n = words.length - cut.rest.split(' ').length;
      if (boundaryRank(words[n - 1]!, words[n]!) >= 4) return cut;
    }
    if (whole.tokens.length <= stretch) return { head: whole, rest: '' };
    const perChar = whole.tokens.length / sentence.length;
    let chars = 0;
    const ends: number[] = [];
    for (let i = 0; i < words.length - 1; i++) {
      chars += (i ? 1 : 0) + words[i]!.length;
      if (i + 1 >= FIRST_CHUNK_MIN_WORDS && chars * perChar <= stretch * 1.1 && boundaryRank(words[i]!, words[i + 1]!) >= 4) ends.push(i + 1);
    }
    for (const end of ends.reverse()) {
      const head = await this.unit(words.slice(0, end).join(' '), lang);
      if (head && head.tokens.length <= stretch && head.tokens.length > cap) return { head, rest: words.slice(end).join(' ') };
    }
    return cut;
  }

  /**
   * The first chunk of a sentence longer than the cap: the longest prefix of at least
   * FIRST_CHUNK_MIN_WORDS words, at most `cap` tokens, ending at the best boundary there is
   * (clause punctuation > before a conjunction > before a preposition > any word not a
   * determiner or the like > any word). Never mid-word. Null when not even one word fits.
   */
  private async firstCut(sentence: string, whole: Unit, lang: Lang, cap: number): Promise<{ head: Unit; rest: string } | null> {
    const words = splitWords(sentence, lang);
    if (words.length < 2) return null;
    // Candidates: cut after word i (0-based), i < last. Estimated size from characters,
    // verified by phonemizing the prefix (context can change a prefix's phonemes slightly).
    const perChar = whole.tokens.length / sentence.length;
    const candidates: Array<{ end: number; rank: number; chars: number }> = [];
    let chars = 0;
    for (let i = 0; i < words.length - 1; i++) {
      chars += (i ? 1 : 0) + words[i]!.length;
      candidates.push({ end: i + 1, rank: boundaryRank(words[i]!, words[i + 1]!, lang), chars });
    }
    // Passes, each looser than the one before: a real phrase (enough words, not ending on "the"
    // and the like), then two words, then one, then anything (caps far below the default). Within a pass the best boundary wins among the
    // cuts at least half as long as the longest that fits, so a comma after three words does
    // not beat a preposition after twelve by much more than it should; ties go to the longer.
    const rejected = new Set<number>();
    for (const [minWords, minRank] of [[FIRST_CHUNK_MIN_WORDS, 1], [2, 1], [1, 1], [1, 0]] as const) {
      for (;;) {
        const fits = candidates.filter((c) => c.end >= minWords && c.rank >= minRank && !rejected.has(c.end) && c.chars * perChar <= cap * 1.1);
        if (!fits.length) break;
        const longest = Math.max(...fits.map((c) => c.chars));
        const best = fits.filter((c) => c.chars >= longest / 2).sort((a, b) => b.rank - a.rank || b.end - a.end)[0]!;
        const head = await this.unit(words.slice(0, best.end).join(' '), lang);
        if (!head || head.tokens.length > cap) {
          rejected.add(best.end);
          continue;
        }
        return { head, rest: words.slice(best.end).join(' ') };
      }
    }
    return null;
  }
}

/**
 * Chunk 0 may grow from the first-chunk cap to this many tokens when that lets it end at a
 * sentence end or clause punctuation and the cap does not (punctuatedFirstCut).
 */
export const FIRST_CHUNK_STRETCH_TOKENS = 60;

/** Fewest words in a first chunk cut out of a sentence (shorter sounds clipped). */
export const FIRST_CHUNK_MIN_WORDS = 3;

const CONJUNCTIONS = new Set(['and', 'but', 'or', 'nor', 'so', 'yet', 'because', 'while', 'when', 'whenever', 'where', 'which',
  'who', 'whom', 'whose', 'that', 'if', 'unless', 'until', 'though', 'although', 'since', 'whereas', 'then', 'before', 'after', 'once']);
const PREPOSITIONS = new Set(['with', 'without', 'in', 'on', 'at', 'from', 'into', 'onto', 'over', 'under', 'through', 'for', 'about',
  'by', 'between', 'during', 'near', 'across', 'along', 'around', 'behind', 'beyond', 'toward', 'towards', 'against', 'among', 'like', 'past', 'within']);
// A prefix ending in one of these leaves a word hanging ("the", "of", "very").
const WEAK_ENDS = new Set(['the', 'a', 'an', 'of', 'to', 'my', 'your', 'his', 'her', 'its', 'our', 'their', 'this', 'that', 'these',
  'those', 'some', 'any', 'no', 'every', 'each', 'very', 'is', 'are', 'was', 'were', 'be', 'been', 'has', 'have', 'had', 'will',
  'would', 'can', 'could', 'should', 'may', 'might', 'must', 'not', 'and', 'or', 'but', 'as', 'than', 'more', 'most', 'i', 'we',
  'you', 'he', 'she', 'it', 'they', 'do', 'does', 'did', 'mr.', 'mrs.', 'ms.', 'dr.', 'st.', '-', '--', 'in', 'on', 'at', 'for',
  'with', 'by', 'from', 'into']);

const words = (s: string): Set<string> => new Set(s.split(' '));
/** The same word classes for the espeak languages (short lists: the commonest words only). */
// Hindi puts postpositions after the noun: a phrase ends after में, से... (`after`), but not after
// the genitive का/के/की, which ties the noun to the next one.
const OTHER_WORDS: Record<Exclude<Lang, 'en-us' | 'en-gb'>, { conj: Set<string>; prep: Set<string>; weak: Set<string>; after?: Set<string> }> = {
  es: {
    conj: words('y e o u pero sino porque que cuando donde mientras aunque si pues como'),
    prep: words('de del a al en con sin desde hacia hasta para por sobre entre contra durante según tras'),
    weak: words('el la los las un una unos unas lo de del al a en con por para mi mis tu tus su sus este esta estos estas ese esa muy no se me te le les nos es son era fue ha han y o que más'),
  },
  'fr-fr': {
    conj: words('et ou mais car donc que qui quand lorsque si puisque comme parce pendant'),
    prep: words('de du des à au aux en avec sans dans sur sous pour par chez vers entre depuis contre après avant'),
    weak: words('le la les l\' un une des du de d\' au aux à en mon ma mes ton ta tes son sa ses ce cet cette ces très ne pas se je tu il elle on nous vous ils elles est sont a ont et ou que qui plus'),
  },
  it: {
    conj: words('e ed o ma però perché che quando dove mentre se come poiché anche'),
    prep: words('di del della a al alla da dal in nel nella con senza su per tra fra verso contro durante dopo prima'),
    weak: words('il lo la i gli le un uno una di del della dei degli delle a al alla ai da dal in nel nella con su per mio mia tuo tua suo sua questo questa quel quella molto non si mi ti ci è sono ha hanno e o che più'),
  },
  'pt-br': {
    conj: words('e ou mas porque que quando onde enquanto embora se como pois'),
    prep: words('de do da dos das em no na a ao com sem desde para por sobre entre contra durante até após'),
    weak: words('o a os as um uma uns umas de do da dos das no na nos nas ao à em com por para pelo pela meu minha seu sua este esta esse essa muito não se me te lhe é são foi tem e ou que mais'),
  },
  // Japanese: the normalizer spaces the text into phrases (engine/text/lang/ja/normalize.ts);
  // a phrase that opens with a conjunction starts a clause.
  ja: {
    conj: words('しかし そして それから だから でも けれども ところが それでも また'),
    prep: words(''),
    weak: words(''),
  },
  hi: {
    conj: words('और तथा लेकिन पर परंतु किंतु कि क्योंकि जब जहाँ अगर यदि या तो'),
    prep: words(''),
    weak: words('और या कि एक यह वह बहुत नहीं का के की'),
    after: words('में से को ने पर तक लिए'),
  },
  // Chinese words as engine/text/lang/zh/normalize.ts splits them (clause commas are ASCII there).
  zh: {
    conj: words('和 跟 但是 但 可是 而且 因为 所以 如果 虽然 或者 还是 然后 不过 只要 就是 于是 并且'),
    prep: words('在 从 对 向 给 把 被 比 为了 往 到 关于 除了'),
    weak: words('的 这 那 这个 那个 一个 很 太 最 不 没 没有 是 我 你 他 她 它 我们 你们 他们 和 跟 在 把 被 对 给 一 二 三 四 五 六 七 八 九 十 两 几 百 千 万 第'),
  },
};
const ENGLISH_WORDS: { conj: Set<string>; prep: Set<string>; weak: Set<string>; after?: Set<string> } = { conj: CONJUNCTIONS, prep: PREPOSITIONS, weak: WEAK_ENDS };

/** How good a place the gap between `word` and `next` is to end a first chunk. */
export function boundaryRank(word: string, next: string, lang: Lang = 'en-us'): number {
  if (/[.!?…।॥]["'”’»)\]]*$/.test(word)) return 5;
  if (/[,;:—–]["'”’»)]*$/.test(word) || next === '—' || next === '–' || next === '-' || next === '--') return 4;
  const w = word.toLowerCase().replace(/["'”’»)]+$/, '');
  const n = next.toLowerCase().replace(/^["'“‘«¿¡(]+/, '');
  const { conj, prep, weak, after } = isEnglish(lang) ? ENGLISH_WORDS : OTHER_WORDS[lang];
  if (weak.has(w)) return 0;
  if (conj.has(n)) return 3;
  if (prep.has(n) || after?.has(w)) return 2;
  return 1;
}


export async function createTextFrontEnd(opts: { modelsDir: string; log?: Log }): Promise<TextFrontEnd> {
  const vocab = Vocab.load(opts.modelsDir);
  const fe = new FrontEnd(opts.modelsDir, vocab, opts.log);
  // Load both lexicons and start espeak's WASM now, so the first request does not pay for it.
  await fe.phonemize('Ready.', 'en-us');
  await fe.phonemize('Ready.', 'en-gb');
  await espeakWord('Kokoro', false);
  return fe;
}
