// Japanese text before G2P. Two layers:
//  - normalizeJa: ours, where we read differently from misaki on purpose (the text misaki is
//    scored on too, as "our normalized text"): grouped thousands, decimals, clock times,
//    dates with slashes, %, and numbers longer than num2kana's 9 digits.
//  - misakiPrepare: what misaki 0.9.4's cutlet does to any text before tagging (wave dash
//    before a digit, small katakana extensions, NFKC, full-width to half-width, then every run
//    of digits as hiragana with a space before it).
import { numberToKana } from './num2kana.js';

const DIGIT_KANA = ['ゼロ', 'いち', 'に', 'さん', 'よん', 'ご', 'ろく', 'なな', 'はち', 'きゅう'];
const UNITS = ['', '万', '億', '兆', '京'];

/** 10 to 20 digits as 4-digit groups with 万/億/兆/京 (misaki's num2kana stops at 9 digits). */
function groupLong(digits: string): string {
  if (digits.length > 20) return digits;
  const groups = digits.padStart(Math.ceil(digits.length / 4) * 4, '0').match(/.{4}/g)!;
  let out = '';
  groups.forEach((g, k) => {
    if (Number(g) > 0) out += String(Number(g)) + UNITS[groups.length - 1 - k];
  });
  return out || '0';
}

const PARTICLE_END = /[はがをにでとへものやかねよて]$/;
const gapAfter = (run: string): boolean => run !== 'お' && run !== 'ご' && !run.endsWith('っ') && (PARTICLE_END.test(run) || run.length >= 3);

/** Our normalization of Japanese text (what g2p:score calls "our normalized text"). */
export function normalizeJa(text: string): string {
  // misaki reads 〜 before a digit as から; NFKC would turn ～ into ~ and hide it from that rule.
  let t = text.replace(/[〜～](?=[0-9０-９])/g, 'から').normalize('NFKC');
  // 1,000 -> 1000 (misaki cuts at the comma: "いち, ゼロ").
  t = t.replace(/(?<![\d.])\d{1,3}(?:,\d{3})+(?![\d,])/g, (m) => m.replace(/,/g, ''));
  // 2024/4/1 -> 2024年4月1日.
  t = t.replace(/(?<![\d/])(\d{4})\/(\d{1,2})\/(\d{1,2})(?![\d/])/g, '$1年$2月$3日');
  // 10:30 -> 10時30分 (misaki: "じゅう: さんじゅう").
  t = t.replace(/(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])/g, (_m, h: string, mm: string) => `${h}時${mm === '00' ? '' : `${Number(mm)}分`}`);
  // 3.14 -> 3点いちよん (misaki: "さん. じゅうよん").
  t = t.replace(/(\d)\.(\d+)/g, (_m, a: string, b: string) => `${a}点${[...b].map((c) => DIGIT_KANA[Number(c)]).join('')}`);
  t = t.replace(/%/g, 'パーセント');
  t = t.replace(/\d{10,}/g, groupLong);
  // Phrase gaps, for the chunker (it cuts long sentences only at spaces, and Japanese has none):
  // 、 becomes ", " (misaki reads both as ","), and a space goes where a run of hiragana meets a
  // kanji, katakana, Latin letter or digit, when that run ends in a particle or is 3 kana or
  // more (so not inside 思い出 or 乗り換え), and not after a lone honorific お/ご or a っ. The G2P
  // reads Japanese across these gaps as if they were not there (g2p.ts).
  t = t.replace(/\s*、\s*/g, ', ');
  t = t.replace(/(^|[^\p{Script=Hiragana}])(\p{Script=Hiragana}+)(?=[\p{Script=Han}\p{Script=Katakana}A-Za-z0-9々])/gu,
    (_m, before: string, run: string) => before + run + (gapAfter(run) ? ' ' : ''));
  return t.replace(/ +$/, '');
}

const KATAKANA_EXT: Record<string, string> = {
  'ㇰ': 'ク', 'ㇱ': 'シ', 'ㇲ': 'ス', 'ㇳ': 'ト', 'ㇴ': 'ヌ', 'ㇵ': 'ハ', 'ㇶ': 'ヒ', 'ㇷ': 'フ', 'ㇸ': 'ヘ', 'ㇹ': 'ホ', 'ㇺ': 'ム', 'ㇻ': 'ラ', 'ㇼ': 'リ', 'ㇽ': 'ル', 'ㇾ': 'レ', 'ㇿ': 'ロ',
};

/** A piece of prepared text: ordinary text, or a number misaki spelled out in hiragana. */
export interface Piece { text: string; number: boolean }

/**
 * misaki's cutlet _normalize_text, the text its tagger sees, in pieces: every run of digits
 * becomes its hiragana (misaki puts a space before it), marked so the G2P can read it as a
 * number rather than as whatever words the tagger finds in that kana.
 */
export function misakiPrepare(text: string): Piece[] {
  let t = text.replace(/[〜～](?=\d)/g, 'から').replace(/[ㇰ-ㇿ]/g, (c) => KATAKANA_EXT[c] ?? c);
  // NFKC already does mojimoji's two steps here (full-width ASCII to half, half-width kana to full).
  t = t.normalize('NFKC');
  const out: Piece[] = [];
  for (const m of t.matchAll(/(\d+)|\D+/g)) {
    if (m[1]) out.push({ text: ' ', number: false }, { text: numberToKana(m[1]), number: true });
    else out.push({ text: m[0], number: false });
  }
  return out;
}
