// Digits -> hiragana, the way misaki 0.9.4's num2kana.Convert reads them (up to 9 digits; what
// it does with 300, 600, 800, 3000, 8000 and a 1000 inside a larger number). misaki inserts
// the result with a space before it and then tags it like any other kana, so readings such as
// 四月 (shigatsu) or 一日 (tsuitachi) never happen: "4月" is "よん" + "月".

const DIGIT = ['ゼロ', 'いち', 'に', 'さん', 'よん', 'ご', 'ろく', 'なな', 'はち', 'きゅう'];
const d = (c: string): string => DIGIT[Number(c)]!;
const TEN = 'じゅう';

function two(s: string): string {
  if (s[0] === '0') return d(s[1]!);
  if (s === '10') return TEN;
  if (s[0] === '1') return TEN + d(s[1]!);
  if (s[1] === '0') return d(s[0]!) + TEN;
  return d(s[0]!) + TEN + d(s[1]!);
}

function three(s: string): string {
  const head = ({ '1': 'ひゃく', '3': 'さんびゃく', '6': 'ろっぴゃく', '8': 'はっぴゃく' } as Record<string, string>)[s[0]!] ?? d(s[0]!) + 'ひゃく';
  if (s.slice(1) === '00') return head;
  return head + (s[1] === '0' ? d(s[2]!) : two(s.slice(1)));
}

/** Four digits; a leading 1 is "いっせん" inside a larger number, "せん" alone. */
function four(s: string, alone: boolean): string {
  if (s === '0000') return '';
  s = s.replace(/^0+/, '');
  if (s.length === 1) return d(s);
  if (s.length === 2) return two(s);
  if (s.length === 3) return three(s);
  const head = s[0] === '1' ? (alone ? 'せん' : 'いっせん') : s[0] === '3' ? 'さんぜん' : s[0] === '8' ? 'はっせん' : d(s[0]!) + 'せん';
  if (s.slice(1) === '000') return head;
  return head + (s[1] === '0' ? two(s.slice(2)) : three(s.slice(1)));
}

/** 5 to 9 digits: 万 and 億 groups. */
function many(s: string): string {
  const top = s.slice(0, -4);
  let out: string;
  if (top.length === 1) out = d(top) + 'まん';
  else if (top.length === 2) out = two(top) + 'まん';
  else if (top.length === 3) out = three(top) + 'まん';
  else if (top.length === 4) out = four(top, false) + 'まん';
  else out = d(s[0]!) + 'おく' + four(s.slice(1, 5), false) + (s.slice(1, 5) === '0000' ? '' : 'まん');
  return out + four(s.slice(-4), false);
}

/**
 * A run of ASCII digits as hiragana. Runs over 9 digits (misaki answers with an English error
 * message there) are read digit by digit; our normalizer groups them with 万/億/兆 first.
 */
export function numberToKana(digits: string): string {
  if (!/^\d+$/.test(digits)) throw new Error(`not digits: ${digits}`);
  if (digits.length > 9) return [...digits].map(d).join('');
  const s = digits.length > 1 ? digits.replace(/^0+(?=\d)/, '') : digits;
  if (s.length === 1) return d(s);
  if (s.length === 2) return two(s);
  if (s.length === 3) return three(s);
  if (s.length === 4) return four(s, true);
  return many(s);
}
