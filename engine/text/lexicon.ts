// Lexicon lookup the way misaki does it (gold then silver, case rules, -s/-ed/-ing
// derivation, part-of-speech keyed heteronyms). misaki/en.py (Apache-2.0) was read for the
// rules; this is an independent TypeScript implementation.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyStress, PRIMARY, SECONDARY } from './stress.js';

export type Entry = string | Record<string, string | null>;
export interface WordContext { futureVowel: boolean | null; futureTo: boolean }
export type Lookup = [string, number] | [null, null];
const NONE: Lookup = [null, null];

/** Characters a lexicon key may hold: apostrophe, hyphen, A-Z, a-z. */
const LEXICON_CHARS = /^[-'A-Za-z]*$/;
export const isLexiconChars = (w: string): boolean => LEXICON_CHARS.test(w);
const isAlpha = (w: string): boolean => /^\p{L}+$/u.test(w);
const lower = (w: string): string => w.toLowerCase();
const upper = (w: string): string => w.toUpperCase();
const capitalize = (w: string): string => (w ? w[0].toUpperCase() + w.slice(1).toLowerCase() : w);

export const ADD_SYMBOLS: Record<string, string> = { '.': 'dot', '/': 'slash' };
export const SYMBOLS: Record<string, string> = { '%': 'percent', '&': 'and', '+': 'plus', '@': 'at' };
const US_TAUS = new Set('AIOWYiuæɑəɛɪɹʊʌ');

/**
 * A lexicon with misaki's "grown" keys: every lower-case key also answers in Capitalized form
 * and every Capitalized key in lower case, a real key always winning. Computed on lookup
 * instead of copying 90k entries at start-up.
 */
export class Dict {
  constructor(private readonly raw: Record<string, Entry>) {}

  private key(w: string): string | undefined {
    if (Object.hasOwn(this.raw, w)) return w;
    if (w.length < 2) return undefined;
    const l = lower(w);
    if (w !== l) return w === capitalize(l) && Object.hasOwn(this.raw, l) ? l : undefined;
    const c = capitalize(w);
    return c !== w && Object.hasOwn(this.raw, c) ? c : undefined;
  }

  has(w: string): boolean { return this.key(w) !== undefined; }

  /** Keys whose pronunciation depends on a part-of-speech tag (not only DEFAULT / None). */
  tagDependentKeys(): Set<string> {
    const out = new Set<string>();
    for (const k in this.raw) {
      const v = this.raw[k];
      if (v !== null && typeof v === 'object' && Object.keys(v).some((t) => t !== 'DEFAULT' && t !== 'None')) {
        out.add(k);
        out.add(lower(k));
      }
    }
    return out;
  }
  get(w: string): Entry | undefined {
    const k = this.key(w);
    return k === undefined ? undefined : this.raw[k];
  }
}

export function parentTag(tag: string | null): string | null {
  if (tag === null) return null;
  if (tag.startsWith('VB')) return 'VERB';
  if (tag.startsWith('NN')) return 'NOUN';
  if (tag.startsWith('ADV') || tag.startsWith('RB')) return 'ADV';
  if (tag.startsWith('ADJ') || tag.startsWith('JJ')) return 'ADJ';
  return tag;
}

const lexiconCache = new Map<string, { golds: Dict; silvers: Dict }>();

export class Lexicon {
  readonly golds: Dict;
  readonly silvers: Dict;
  readonly capStresses: [number, number] = [0.5, 2];

  constructor(readonly british: boolean, modelsDir: string) {
    const key = `${path.resolve(modelsDir)}:${british}`;
    let cached = lexiconCache.get(key);
    if (!cached) {
      const load = (kind: string): Dict => new Dict(JSON.parse(
        readFileSync(path.join(modelsDir, 'misaki', `${british ? 'gb' : 'us'}_${kind}.json`), 'utf8')) as Record<string, Entry>);
      cached = { golds: load('gold'), silvers: load('silver') };
      lexiconCache.set(key, cached);
    }
    this.golds = cached.golds;
    this.silvers = cached.silvers;
  }

  private goldString(word: string, key = 'DEFAULT'): string {
    const e = this.golds.get(word);
    if (typeof e === 'string') return e;
    return (e?.[key] ?? e?.DEFAULT ?? '') as string;
  }

  /** Spells a word letter by letter (acronyms), primary stress on the last letter. */
  getNNP(word: string): Lookup {
    const parts: string[] = [];
    for (const c of word) {
      if (!isAlpha(c)) continue;
      const e = this.golds.get(upper(c));
      if (typeof e !== 'string') return NONE;
      parts.push(e);
    }
    const ps = applyStress(parts.join(''), 0);
    const cut = ps.lastIndexOf(SECONDARY);
    return [cut < 0 ? ps : ps.slice(0, cut) + PRIMARY + ps.slice(cut + 1), 3];
  }

  getSpecialCase(word: string, tag: string, stress: number | null, ctx: WordContext): Lookup {
    if (tag === 'ADD' && word in ADD_SYMBOLS) return this.lookup(ADD_SYMBOLS[word], null, -0.5, ctx);
    if (word in SYMBOLS) return this.lookup(SYMBOLS[word], null, null, ctx);
    const inner = word.replace(/^\.+|\.+$/g, '');
    if (inner.includes('.') && isAlpha(word.replaceAll('.', '')) &&
        Math.max(...word.split('.').map((s) => s.length)) < 3) {
      return this.getNNP(word);
    }
    if (word === 'a' || word === 'A') return tag === 'DT' ? ['ɐ', 4] : ['ˈA', 4];
    if (word === 'am' || word === 'Am' || word === 'AM') {
      if (tag.startsWith('NN')) return this.getNNP(word);
      if (ctx.futureVowel === null || word !== 'am' || (stress !== null && stress > 0)) return [this.goldString('am'), 4];
      return ['ɐm', 4];
    }
    if (word === 'an' || word === 'An' || word === 'AN') {
      if (word === 'AN' && tag.startsWith('NN')) return this.getNNP(word);
      return ['ɐn', 4];
    }
    if (word === 'I' && tag === 'PRP') return [`${SECONDARY}I`, 4];
    if ((word === 'by' || word === 'By' || word === 'BY') && parentTag(tag) === 'ADV') return ['bˈI', 4];
    if (word === 'to' || word === 'To' || (word === 'TO' && (tag === 'TO' || tag === 'IN'))) {
      const ps = ctx.futureVowel === null ? this.goldString('to') : ctx.futureVowel ? 'tʊ' : 'tə';
      return [ps, 4];
    }
    if (word === 'in' || word === 'In' || (word === 'IN' && tag !== 'NNP')) {
      return [(ctx.futureVowel === null || tag !== 'IN' ? PRIMARY : '') + 'ɪn', 4];
    }
    if (word === 'the' || word === 'The' || (word === 'THE' && tag === 'DT')) {
      return [ctx.futureVowel === true ? 'ði' : 'ðə', 4];
    }
    if (tag === 'IN' && /^vs\.?$/i.test(word)) return this.lookup('versus', null, null, ctx);
    if (word === 'used' || word === 'Used' || word === 'USED') {
      if ((tag === 'VBD' || tag === 'JJ') && ctx.futureTo) return [this.goldString('used', 'VBD'), 4];
      return [this.goldString('used'), 4];
    }
    return NONE;
  }

  isKnown(word: string): boolean {
    if (this.golds.has(word) || word in SYMBOLS || this.silvers.has(word)) return true;
    if (!isAlpha(word) || !isLexiconChars(word)) return false;
    if ([...word].length === 1) return true;
    if (word === upper(word) && this.golds.has(lower(word))) return true;
    return word.slice(1) === upper(word.slice(1));
  }

  lookup(word: string, tag: string | null, stress: number | null, ctx: WordContext | null): Lookup {
    let isNNP: boolean | null = null;
    if (word === upper(word) && !this.golds.has(word)) {
      word = lower(word);
      isNNP = tag === 'NNP';
    }
    let entry: Entry | undefined = this.golds.get(word);
    let rating = 4;
    if (entry === undefined && !isNNP) {
      entry = this.silvers.get(word);
      rating = 3;
    }
    let ps: string | null | undefined;
    if (entry !== undefined && typeof entry === 'object') {
      let key: string | null = tag;
      if (ctx && ctx.futureVowel === null && 'None' in entry) key = 'None';
      else if (key === null || !(key in entry)) key = parentTag(tag);
      ps = key !== null && key in entry ? entry[key] : entry.DEFAULT;
    } else {
      ps = entry;
    }
    if (ps === null || ps === undefined || (isNNP && !ps.includes(PRIMARY))) {
      const nnp = this.getNNP(word);
      if (nnp[0] !== null) return nnp;
    }
    if (ps === null || ps === undefined) return NONE;
    return [applyStress(ps, stress), rating];
  }

  /** Plural / third-person -s after a stem (voiceless: s; sibilant: ᵻz or ɪz; else z). */
  suffixS(stem: string | null): string | null {
    if (!stem) return null;
    const last = stem[stem.length - 1];
    if ('ptkfθ'.includes(last)) return stem + 's';
    if ('szʃʒʧʤ'.includes(last)) return stem + (this.british ? 'ɪ' : 'ᵻ') + 'z';
    return stem + 'z';
  }

  stemS(word: string, tag: string | null, stress: number | null, ctx: WordContext | null): Lookup {
    if (word.length < 3 || !word.endsWith('s')) return NONE;
    let stem: string;
    if (!word.endsWith('ss') && this.isKnown(word.slice(0, -1))) stem = word.slice(0, -1);
    else if ((word.endsWith("'s") || (word.length > 4 && word.endsWith('es') && !word.endsWith('ies'))) &&
      this.isKnown(word.slice(0, -2))) stem = word.slice(0, -2);
    else if (word.length > 4 && word.endsWith('ies') && this.isKnown(word.slice(0, -3) + 'y')) stem = word.slice(0, -3) + 'y';
    else return NONE;
    const [ps, rating] = this.lookup(stem, tag, stress, ctx);
    const out = this.suffixS(ps);
    return out === null ? NONE : [out, rating as number];
  }

  suffixEd(stem: string | null): string | null {
    if (!stem) return null;
    const last = stem[stem.length - 1];
    if ('pkfθʃsʧ'.includes(last)) return stem + 't';
    if (last === 'd') return stem + (this.british ? 'ɪ' : 'ᵻ') + 'd';
    if (last !== 't') return stem + 'd';
    if (this.british || stem.length < 2) return stem + 'ɪd';
    if (US_TAUS.has(stem[stem.length - 2])) return stem.slice(0, -1) + 'ɾᵻd';
    return stem + 'ᵻd';
  }

  stemEd(word: string, tag: string | null, stress: number | null, ctx: WordContext | null): Lookup {
    if (word.length < 4 || !word.endsWith('d')) return NONE;
    let stem: string;
    if (!word.endsWith('dd') && this.isKnown(word.slice(0, -1))) stem = word.slice(0, -1);
    else if (word.length > 4 && word.endsWith('ed') && !word.endsWith('eed') && this.isKnown(word.slice(0, -2))) stem = word.slice(0, -2);
    else return NONE;
    const [ps, rating] = this.lookup(stem, tag, stress, ctx);
    const out = this.suffixEd(ps);
    return out === null ? NONE : [out, rating as number];
  }

  suffixIng(stem: string | null): string | null {
    if (!stem) return null;
    const last = stem[stem.length - 1];
    if (this.british) {
      if (last === 'ə' || last === 'ː') return null;
    } else if (stem.length > 1 && last === 't' && US_TAUS.has(stem[stem.length - 2])) {
      return stem.slice(0, -1) + 'ɾɪŋ';
    }
    return stem + 'ɪŋ';
  }

  stemIng(word: string, tag: string | null, stress: number | null, ctx: WordContext | null): Lookup {
    if (word.length < 5 || !word.endsWith('ing')) return NONE;
    let stem: string;
    const base = word.slice(0, -3);
    if (word.length > 5 && this.isKnown(base)) stem = base;
    else if (this.isKnown(base + 'e')) stem = base + 'e';
    else if (word.length > 5 && /([bcdgklmnprstvxz])\1ing$|cking$/.test(word) && this.isKnown(word.slice(0, -4))) stem = word.slice(0, -4);
    else return NONE;
    const [ps, rating] = this.lookup(stem, tag, stress, ctx);
    const out = this.suffixIng(ps);
    return out === null ? NONE : [out, rating as number];
  }

  getWord(word: string, tag: string, stress: number | null, ctx: WordContext): Lookup {
    const special = this.getSpecialCase(word, tag, stress, ctx);
    if (special[0] !== null) return special;
    const wl = lower(word);
    if (word.length > 1 && isAlpha(word.replaceAll("'", '')) && word !== wl && (tag !== 'NNP' || word.length > 7) &&
        !this.golds.has(word) && !this.silvers.has(word) &&
        (word === upper(word) || word.slice(1) === lower(word.slice(1))) &&
        (this.golds.has(wl) || this.silvers.has(wl) ||
          this.stemS(wl, tag, stress, ctx)[0] !== null || this.stemEd(wl, tag, stress, ctx)[0] !== null ||
          this.stemIng(wl, tag, stress, ctx)[0] !== null)) {
      word = wl;
    }
    if (this.isKnown(word)) return this.lookup(word, tag, stress, ctx);
    if (word.endsWith("s'") && this.isKnown(word.slice(0, -2) + "'s")) return this.lookup(word.slice(0, -2) + "'s", tag, stress, ctx);
    if (word.endsWith("'") && this.isKnown(word.slice(0, -1))) return this.lookup(word.slice(0, -1), tag, stress, ctx);
    const s = this.stemS(word, tag, stress, ctx);
    if (s[0] !== null) return s;
    const ed = this.stemEd(word, tag, stress, ctx);
    if (ed[0] !== null) return ed;
    return this.stemIng(word, tag, stress === null ? 0.5 : stress, ctx);
  }
}
