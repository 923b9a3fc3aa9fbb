// Numbers read the way misaki reads them: ordinals (21st), four-digit years, digit-by-digit
// strings after a head token, decimals, currency pairs ($1.50 -> one dollar and fifty cents).
import { cardinal, decimal, ordinal, year } from './num2words.js';
import type { Lexicon, Lookup } from './lexicon.js';

export const CURRENCIES: Record<string, [string, string]> = {
  '$': ['dollar', 'cent'], '£': ['pound', 'pence'], '€': ['euro', 'cent'],
};
const ORDINALS = new Set(['st', 'nd', 'rd', 'th']);
const isDigits = (t: string): boolean => /^[0-9]+$/.test(t);

export function isNumber(word: string, isHead: boolean): boolean {
  if (![...word].some((c) => isDigits(c))) return false;
  for (const s of ['ing', "'d", 'ed', "'s", 'st', 'nd', 'rd', 'th', 's']) {
    if (word.endsWith(s)) {
      word = word.slice(0, -s.length);
      break;
    }
  }
  return [...word].every((c, i) => isDigits(c) || c === ',' || c === '.' || (isHead && i === 0 && c === '-'));
}

function isCurrencyAmount(word: string): boolean {
  if (!word.includes('.')) return true;
  if (word.split('.').length > 2) return false;
  return word.split('.')[1].length < 3;
}

export function readNumber(lex: Lexicon, word: string, currency: string | null, isHead: boolean, numFlags: string): Lookup {
  const sm = /[a-z']+$/.exec(word);
  const suffix = sm ? sm[0] : null;
  if (suffix) word = word.slice(0, -suffix.length);
  const result: Array<[string, number]> = [];
  const push = (l: Lookup): void => { if (l[0] !== null) result.push(l as [string, number]); };
  if (word.startsWith('-')) {
    push(lex.lookup('minus', null, null, null));
    word = word.slice(1);
  }
  const extend = (num: string, first = true, escape = false): void => {
    const text = escape ? num : cardinal(BigInt(num));
    const splits = text.split(/[^a-z]+/);
    splits.forEach((w, i) => {
      if (w !== 'and' || numFlags.includes('&')) {
        if (first && i === 0 && splits.length > 1 && w === 'one' && numFlags.includes('a')) result.push(['ə', 4]);
        else push(lex.lookup(w, null, w === 'point' ? -2 : null, null));
      } else if (w === 'and' && numFlags.includes('n') && result.length) {
        const last = result[result.length - 1];
        result[result.length - 1] = [last[0] + 'ən', last[1]];
      }
    });
  };
  if (isDigits(word) && suffix !== null && ORDINALS.has(suffix)) {
    extend(ordinal(BigInt(word)), true, true);
  } else if (!result.length && word.length === 4 && !(currency && currency in CURRENCIES) && isDigits(word)) {
    extend(year(Number(word)), true, true);
  } else if (!isHead && !word.includes('.')) {
    const num = word.replaceAll(',', '');
    if (num[0] === '0' || num.length > 3) {
      for (const d of num) extend(d, false);
    } else if (num.length === 3 && !num.endsWith('00')) {
      extend(num[0]);
      if (num[1] === '0') {
        push(lex.lookup('O', null, -2, null));
        extend(num[2], false);
      } else {
        extend(num.slice(1), false);
      }
    } else {
      extend(num);
    }
  } else if (word.split('.').length > 2 || !isHead) {
    let first = true;
    for (const num of word.replaceAll(',', '').split('.')) {
      if (!num) {
        // nothing to read between two dots
      } else if (num[0] === '0' || (num.length !== 2 && [...num.slice(1)].some((n) => n !== '0'))) {
        for (const d of num) extend(d, false);
      } else {
        extend(num, first);
      }
      first = false;
    }
  } else if (currency && currency in CURRENCIES && isCurrencyAmount(word)) {
    const units = CURRENCIES[currency];
    let pairs: Array<[bigint, string]> = word.replaceAll(',', '').split('.').slice(0, 2)
      .map((n, i) => [n ? BigInt(n) : 0n, units[i]] as [bigint, string]);
    if (pairs.length > 1) {
      if (pairs[1][0] === 0n) pairs = pairs.slice(0, 1);
      else if (pairs[0][0] === 0n) pairs = pairs.slice(1);
    }
    pairs.forEach(([num, unit], i) => {
      if (i > 0) push(lex.lookup('and', null, null, null));
      extend(String(num), i === 0);
      push(num !== 1n && unit !== 'pence' ? lex.stemS(unit + 's', null, null, null) : lex.lookup(unit, null, null, null));
    });
  } else {
    let text: string;
    if (isDigits(word)) text = cardinal(BigInt(word));
    else if (!word.includes('.')) {
      const n = BigInt(word.replaceAll(',', '') || '0');
      text = suffix !== null && ORDINALS.has(suffix) ? ordinal(n) : cardinal(n);
    } else {
      const w = word.replaceAll(',', '');
      text = w[0] === '.' ? `point ${[...w.slice(1)].map((n) => cardinal(Number(n))).join(' ')}` : decimal(w);
    }
    extend(text, true, true);
  }
  if (!result.length) return [null, null];
  const ps = result.map((r) => r[0]).join(' ');
  const rating = Math.min(...result.map((r) => r[1]));
  if (suffix === 's' || suffix === "'s") return [lex.suffixS(ps) ?? ps, rating];
  if (suffix === 'ed' || suffix === "'d") return [lex.suffixEd(ps) ?? ps, rating];
  if (suffix === 'ing') return [lex.suffixIng(ps) ?? ps, rating];
  return [ps, rating];
}

/** "dollars", "pounds", "euros" appended after a currency amount the lexicon already read. */
export function appendCurrency(lex: Lexicon, ps: string, currency: string | null): string {
  if (!currency) return ps;
  const unit = CURRENCIES[currency];
  const word = unit ? lex.stemS(unit[0] + 's', null, null, null)[0] : null;
  return word ? `${ps} ${word}` : ps;
}
