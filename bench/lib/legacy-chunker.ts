// The text front end's chunking as it was before the incremental generator (whole text first,
// first chunk: clause-split sentences packed to 80 tokens): the baseline of bench:first-chunk.
import { espeakWord } from '../../engine/text/espeak.js';
import { G2P } from '../../engine/text/g2p.js';
import { Lexicon } from '../../engine/text/lexicon.js';
import { normalizeText } from '../../engine/text/normalize.js';
import { splitClauses, splitSentences } from '../../engine/text/sentences.js';
import { Vocab, type Log } from '../../engine/text/vocab.js';
import { MAX_CHUNK_TOKENS, type Lang } from '../../protocol/constants.js';

export interface PreparedChunk { index: number; text: string; phonemes: string; tokens: number[] }
export interface ChunkOptions { maxTokens?: number; firstChunkTokens?: number; targetTokens?: number }
export interface TextFrontEnd {
  phonemize(text: string, lang: Lang): Promise<string>;
  chunk(text: string, lang: Lang, opts?: ChunkOptions): Promise<PreparedChunk[]>;
}
export type { Lang };
export const DEFAULT_FIRST_CHUNK_TOKENS = 80;
export const DEFAULT_TARGET_TOKENS = 200;

interface Unit { text: string; phonemes: string; tokens: number[] }

const PUNCT_ONLY = /^[\s;:,.!?—…"“”()]*$/;

class FrontEnd implements TextFrontEnd {
  private readonly g2p: Partial<Record<Lang, G2P | undefined>> = { 'en-us': undefined, 'en-gb': undefined };
  constructor(private readonly modelsDir: string, private readonly vocab: Vocab, private readonly log?: Log) {}

  private engine(lang: Lang): G2P {
    if (lang !== 'en-us' && lang !== 'en-gb') throw new Error(`unsupported language: ${String(lang)}`);
    let g = this.g2p[lang];
    if (!g) {
      g = new G2P(new Lexicon(lang === 'en-gb', this.modelsDir));
      this.g2p[lang] = g;
    }
    return g;
  }

  /** Phonemes of one piece of text, filtered to the vocabulary. */
  private async piece(text: string, lang: Lang): Promise<string> {
    return this.vocab.filter(await this.engine(lang).phonemize(text), this.log);
  }

  /** Exactly what the model is fed: the phonemes of every chunk, joined by a space. */
  async phonemize(text: string, lang: Lang): Promise<string> {
    return (await this.chunk(text, lang)).map((c) => c.phonemes).join(' ');
  }

  private async unit(text: string, lang: Lang): Promise<Unit | null> {
    const phonemes = await this.piece(text, lang);
    if (PUNCT_ONLY.test(phonemes)) return null;
    return { text, phonemes, tokens: this.vocab.encode(phonemes) };
  }

  /** Units no longer than `limit` tokens: whole sentence, else clauses, else runs of words. */
  private async fit(text: string, lang: Lang, limit: number): Promise<Unit[]> {
    const whole = await this.unit(text, lang);
    if (!whole) return [];
    if (whole.tokens.length <= limit) return [whole];
    const clauses = splitClauses(text);
    const pieces = clauses.length > 1 ? clauses : text.split(' ');
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
      if (phonemes && !PUNCT_ONLY.test(phonemes)) out.push({ text: u.text, phonemes, tokens: this.vocab.encode(phonemes) });
    }
    return out;
  }

  async chunk(text: string, lang: Lang, opts: ChunkOptions = {}): Promise<PreparedChunk[]> {
    const max = Math.max(1, Math.min(MAX_CHUNK_TOKENS, Math.floor(opts.maxTokens ?? MAX_CHUNK_TOKENS)));
    const first = Math.max(1, Math.min(max, Math.floor(opts.firstChunkTokens ?? DEFAULT_FIRST_CHUNK_TOKENS)));
    const target = Math.max(1, Math.min(max, Math.floor(opts.targetTokens ?? DEFAULT_TARGET_TOKENS)));
    const chunks: PreparedChunk[] = [];
    let cur: Unit[] = [];
    let curTokens = 0;
    const flush = (): void => {
      if (!cur.length) return;
      const phonemes = cur.map((u) => u.phonemes).join(' ');
      chunks.push({ index: chunks.length, text: cur.map((u) => u.text).join(' '), phonemes, tokens: this.vocab.encode(phonemes) });
      cur = [];
      curTokens = 0;
    };
    for (const sentence of splitSentences(normalizeText(text, lang))) {
      // The first chunk is kept short so audio starts fast: a long first sentence is split at clauses.
      const limit = chunks.length === 0 && cur.length === 0 ? first : max;
      for (const u of await this.fit(sentence, lang, limit)) {
        const budget = chunks.length === 0 ? first : target;
        const joined = curTokens + (cur.length ? 1 : 0) + u.tokens.length;
        if (cur.length && (joined > budget || joined > max)) flush();
        cur.push(u);
        curTokens = curTokens + (cur.length > 1 ? 1 : 0) + u.tokens.length;
        if (chunks.length === 0 && curTokens >= first) flush();
      }
    }
    flush();
    return chunks;
  }
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
