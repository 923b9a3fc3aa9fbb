// Sentence and clause splitting for chunking. Splits only at whitespace, so no word is cut.

const ABBREV = /(?:^|\s)(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|vs|etc|e\.g|i\.e|Inc|Ltd|Co|Mt|No|Gen|Gov|Sen|Rep|Rev|Capt|Col|Lt|Sgt|Ave|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|[A-Z])\.$/;

/** Splits text into sentences at . ! ? … (plus closing quotes) followed by whitespace, and at blank lines. */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const para of text.split(/\n\s*\n|\r\n\s*\r\n/)) {
    const words = para.split(/\s+/).filter(Boolean);
    let cur: string[] = [];
    words.forEach((w, i) => {
      cur.push(w);
      const next = words[i + 1];
      const ends = /[.!?…]["'”’)\]]*$/.test(w);
      if (!ends || next === undefined) return;
      const sofar = cur.join(' ');
      // "Dr." or "U.S." followed by a capital is usually not a sentence end; a lower-case next word never starts one.
      if (/^[a-z]/.test(next)) return;
      if (w.endsWith('.') && ABBREV.test(sofar)) return;
      out.push(sofar);
      cur = [];
    });
    if (cur.length) out.push(cur.join(' '));
  }
  return out;
}

/** Splits a sentence after clause punctuation (, ; : — and dashes) at whitespace. */
export function splitClauses(sentence: string): string[] {
  const words = sentence.split(' ');
  const out: string[] = [];
  let cur: string[] = [];
  for (const w of words) {
    cur.push(w);
    if (/[,;:—–]["'”’)]*$/.test(w) || w === '-' || w === '--') {
      out.push(cur.join(' '));
      cur = [];
    }
  }
  if (cur.length) out.push(cur.join(' '));
  return out;
}
