// Which tokens of a chunk each word was read as, for word timestamps. The token ids are never
// derived from this: it only labels ranges of the ids the front end already produced, so plans
// (and their digest) are the same with or without it.
//
// English: the G2P says which phonemes each word (its tokens, as written) became. The other
// languages read a whole piece, so its space-separated phoneme groups are paired with the
// piece's whitespace-separated words when the counts agree, else the piece is one "word" (ja and
// zh, written without spaces, always).

/** A word and the [start, end) offsets (UTF-16 units) of its phonemes in a unit's phoneme string. */
export interface PhonemeWord {
  text: string;
  start: number;
  end: number;
}

/** A word and its token range [start, end) in the chunk's token ids (pads excluded). */
export interface ChunkWord {
  text: string;
  start: number;
  end: number;
}

const SPOKEN = /[\p{L}\p{N}]/u;
const OPENING = /^[“"‘'(\[«¿¡]+$/u;
const DASH = /^(?:—|–|-|--)$/u;

/** Space-separated phoneme groups paired with whitespace-separated words, when the counts agree. */
export function pairWords(text: string, phonemes: string): PhonemeWord[] {
  const words = text.split(/\s+/).filter(Boolean);
  const groups: Array<{ start: number; end: number }> = [];
  const re = /[^ ]+/g;
  for (let m = re.exec(phonemes); m; m = re.exec(phonemes)) groups.push({ start: m.index, end: m.index + m[0].length });
  if (words.length === groups.length) return groups.map((g, i) => ({ text: words[i]!, ...g }));
  return phonemes.length ? [{ text: words.join(' '), start: 0, end: phonemes.length }] : [];
}

/**
 * The words of a chunk whose phonemes are the units' phonemes joined by one space, as token
 * ranges. Punctuation is attached to its word ("Hello," and "“Yes"), and a word that became
 * no phonemes (a currency sign before its number) is written with the next one, so every
 * word left has at least one token. Ranges are in order and never overlap.
 */
export function chunkWords(units: ReadonlyArray<{ phonemes: string; words: readonly PhonemeWord[] }>, phonemes: string): ChunkWord[] {
  // Token index of every UTF-16 offset: each code point of the filtered phonemes is one token.
  const tokenAt = new Int32Array(phonemes.length + 1);
  let t = 0;
  for (let i = 0; i < phonemes.length; ) {
    const cp = phonemes.codePointAt(i)!;
    const n = cp > 0xffff ? 2 : 1;
    for (let k = 0; k < n; k++) tokenAt[i + k] = t;
    i += n;
    t++;
  }
  tokenAt[phonemes.length] = t;

  const raw: ChunkWord[] = [];
  let base = 0;
  for (const u of units) {
    for (const w of u.words) {
      let s = base + Math.max(0, Math.min(w.start, u.phonemes.length));
      let e = base + Math.max(0, Math.min(w.end, u.phonemes.length));
      while (s < e && phonemes[s] === ' ') s++;
      while (e > s && phonemes[e - 1] === ' ') e--;
      raw.push({ text: w.text, start: tokenAt[s]!, end: tokenAt[e]! });
    }
    base += u.phonemes.length + 1;
  }
  return attach(raw);
}

/** Punctuation onto its word, silent words onto the next one; drops what is left empty. */
export function attach(input: readonly ChunkWord[]): ChunkWord[] {
  const raw = input.map((w) => ({ ...w }));
  const out: ChunkWord[] = [];
  let prefix = '';
  const spokenAfter = (i: number) => raw.slice(i + 1).some((r) => SPOKEN.test(r.text) && r.end > r.start);
  for (let i = 0; i < raw.length; i++) {
    const w = raw[i]!;
    const prev = out[out.length - 1];
    if (w.end <= w.start) {
      // Became no phonemes (a currency sign before its number): written with the next word.
      if (spokenAfter(i)) prefix += w.text;
      else if (prev) prev.text += w.text;
      continue;
    }
    if (!SPOKEN.test(w.text)) {
      if ((OPENING.test(w.text) || !prev) && spokenAfter(i)) {
        // An opening quote: its tokens and text belong to the next word.
        prefix += w.text;
        raw[i + 1] = { ...raw[i + 1]!, start: Math.min(raw[i + 1]!.start, w.start) };
      } else if (prev) {
        prev.text += DASH.test(w.text) ? ` ${w.text}` : w.text;
        prev.end = Math.max(prev.end, w.end);
      }
      continue;
    }
    out.push({ text: prefix + w.text, start: w.start, end: w.end });
    prefix = '';
  }
  // Ranges must stay ordered and disjoint whatever the input did.
  for (let i = 1; i < out.length; i++) if (out[i]!.start < out[i - 1]!.end) out[i]!.start = out[i - 1]!.end;
  return out.filter((w) => w.end > w.start);
}
