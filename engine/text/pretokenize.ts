// Splits text into word and punctuation tokens the way spaCy's English tokenizer splits
// them for misaki (punctuation peeled off words, currency signs before amounts, quotes
// tagged as opening or closing). Each token records the whitespace that follows it.

export interface RawToken { text: string; ws: string; start: number; punctTag: string | null }

// Abbreviations whose full stop belongs to the word (titles, Latin, months, a.m./p.m.).
const ABBREVIATIONS = new Set(['mr.', 'mrs.', 'ms.', 'dr.', 'jr.', 'sr.', 'prof.', 'vs.', 'etc.', 'e.g.', 'i.e.',
  'inc.', 'ltd.', 'co.', 'corp.', 'mt.', 'ft.', 'no.', 'jan.', 'feb.', 'mar.', 'apr.', 'jun.', 'jul.', 'aug.', 'sep.',
  'sept.', 'oct.', 'nov.', 'dec.', 'gen.', 'gov.', 'sen.', 'rep.', 'rev.', 'capt.', 'col.', 'lt.', 'sgt.', 'ave.', 'blvd.',
  'a.m.', 'p.m.', 'u.s.', 'u.k.', 'approx.', 'dept.', 'est.', 'fig.']);
const OPENERS = new Set(['"', '“', '‘', "'", '(', '[', '{', '«']);
const CLOSERS = new Set(['"', '”', '’', "'", ')', ']', '}', '»', ',', ';', ':', '!', '?', '…', '%']);
const CURRENCY_SIGNS = new Set(['$', '£', '€', '#']);

function openTag(c: string): string {
  if (c === '(' || c === '[' || c === '{') return '-LRB-';
  if (c === '$' || c === '£' || c === '€' || c === '#') return '$';
  return '``';
}
function closeTag(c: string): string {
  if (c === ')' || c === ']' || c === '}') return '-RRB-';
  if (c === ',') return ',';
  if (c === ';' || c === ':' || c === '…') return ':';
  if (c === '!' || c === '?' || c === '.') return '.';
  if (c === '%') return 'NN';
  return "''";
}

/** Splits one whitespace-free chunk into tokens (prefixes, core, suffixes). */
function splitChunk(chunk: string, start: number, ws: string, out: RawToken[], known: (w: string) => boolean): void {
  // Words spelled with a leading apostrophe ('cause, 'em, 'n') stay whole when the lexicon has them.
  const elided = /^(['‘’][A-Za-z]+)(['‘’]?)(.*)$/.exec(chunk);
  if (elided && /^[^A-Za-z0-9]*$/.test(elided[3])) {
    const norm = (w: string): string => w.replace(/[‘’]/g, "'");
    const word = known(norm(elided[1] + elided[2])) ? elided[1] + elided[2] : known(norm(elided[1])) ? elided[1] : null;
    if (word) {
      out.push({ text: word, ws: '', start, punctTag: null });
      const rest = chunk.slice(word.length);
      if (rest) splitChunk(rest, start + word.length, ws, out, known);
      else out[out.length - 1].ws = ws;
      return;
    }
  }
  if (ADDRESS.test(chunk.replace(/[.,;:!?)"”’']+$/, ''))) {
    const core = chunk.replace(/[.,;:!?)"”’']+$/, '');
    out.push({ text: core, ws: core === chunk ? ws : '', start, punctTag: 'ADD' });
    if (core !== chunk) splitChunk(chunk.slice(core.length), start + core.length, ws, out, known);
    return;
  }
  const pre: RawToken[] = [];
  const post: RawToken[] = [];
  let s = 0;
  let e = chunk.length;
  while (s < e) {
    const c = chunk[s];
    if (OPENERS.has(c) && e - s > 1) {
      pre.push({ text: c, ws: '', start: start + s, punctTag: openTag(c) });
      s++;
    } else if (CURRENCY_SIGNS.has(c) && e - s > 1 && /[0-9.]/.test(chunk[s + 1])) {
      pre.push({ text: c, ws: '', start: start + s, punctTag: '$' });
      s++;
    } else break;
  }
  while (e > s) {
    const core = chunk.slice(s, e);
    if (core.endsWith('...')) {
      post.unshift({ text: '...', ws: '', start: start + e - 3, punctTag: ':' });
      e -= 3;
      continue;
    }
    const c = chunk[e - 1];
    if (c === "'" && /s'$/i.test(core) && core.length > 2) break; // plural possessive stays on the word
    if (c === '.') {
      if (e - s > 1 && (ABBREVIATIONS.has(core.toLowerCase()) || /^([A-Za-z]\.)+$/.test(core))) {
        // Keep the stop on an abbreviation unless it ends the whole text.
        break;
      }
      post.unshift({ text: '.', ws: '', start: start + e - 1, punctTag: '.' });
      e--;
      continue;
    }
    if (CLOSERS.has(c) && (e - s > 1 || s > 0 || post.length > 0 || !/[A-Za-z0-9]/.test(c))) {
      if (e - s === 1 && c === '%') break;
      post.unshift({ text: c, ws: '', start: start + e - 1, punctTag: closeTag(c) });
      e--;
      continue;
    }
    break;
  }
  const core = chunk.slice(s, e);
  const pieces: RawToken[] = [];
  if (core) {
    // Dashes between words are clause punctuation, not part of a word.
    const re = /—|–|--/g;
    let last = 0;
    for (const m of core.matchAll(re)) {
      if (m.index! > last) pieces.push({ text: core.slice(last, m.index), ws: '', start: start + s + last, punctTag: null });
      pieces.push({ text: m[0], ws: '', start: start + s + m.index!, punctTag: ':' });
      last = m.index! + m[0].length;
    }
    if (last < core.length) {
      const text = core.slice(last);
      const isPunct = /^[—–\-…]+$/.test(text) || /^\.+$/.test(text);
      pieces.push({ text, ws: '', start: start + s + last, punctTag: isPunct ? ':' : null });
    }
  }
  const all = [...pre, ...pieces, ...post];
  if (all.length) all[all.length - 1].ws = ws;
  out.push(...all);
}

// E-mail addresses and web addresses: read piece by piece with "dot" and "slash".
const ADDRESS = /^(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:WWW|www)\.[\w-]+(?:\.[\w-]+)+(?:\/\S*)?|[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|dev|gov|edu|co\.uk|ai|app)(?:\/\S*)?)$/;

export function pretokenize(text: string, known: (w: string) => boolean = () => false): RawToken[] {
  const out: RawToken[] = [];
  const re = /\S+/g;
  for (const m of text.matchAll(re)) {
    const end = m.index! + m[0].length;
    const ws = end < text.length ? ' ' : '';
    splitChunk(m[0], m.index!, ws, out, known);
  }
  // A sentence-final abbreviation keeps its stop as the sentence's full stop instead.
  const last = out[out.length - 1];
  if (last && last.punctTag === null && last.text.length > 1 && last.text.endsWith('.') && !/^([A-Za-z]\.)+$/.test(last.text)) {
    last.text = last.text.slice(0, -1);
    out.push({ text: '.', ws: last.ws, start: last.start + last.text.length, punctTag: '.' });
    last.ws = '';
  }
  return out;
}

/** misaki's sub-word split: leading/trailing quotes, numbers with separators, dash runs,
 * camelCase boundaries, letter runs with inner apostrophes, any other single character. */
const SUBTOKEN = new RegExp([
  "^['‘’]+",
  '\\p{Lu}(?=\\p{Lu}\\p{Ll})',
  '(?:^-)?(?:\\d?[,.]?\\d)+',
  '[-_]+',
  "['‘’]{2,}",
  "\\p{L}*?(?:['‘’]\\p{L})*?\\p{Ll}(?=\\p{Lu})",
  "\\p{L}+(?:['‘’]\\p{L})*",
  "[^-_\\p{L}'‘’\\d]",
  "['‘’]+$",
].join('|'), 'gu');

export function subtokenize(word: string): string[] {
  return [...word.matchAll(SUBTOKEN)].map((m) => m[0]);
}
