// Where IPADIC (kuromoji) reads differently from UniDic (misaki's fugashi), the rules and the
// few words that bring our readings to misaki's. Found on the tuning fixtures; each is a
// general habit of UniDic's pronunciation field, not a fix for one sentence.
import { kataToHira } from './kana.js';

/**
 * UniDic writes long vowels as ー in its pronunciation field (センセー, アタラシー, キーテ, ユー);
 * IPADIC does so only for o+u (トーキョー). Verb endings keep their ウ (思う オモウ).
 */
export function lengthen(pron: string, pos: string): string {
  const verbEnd = pos === '動詞' && pron.endsWith('ウ');
  let p = verbEnd ? pron.slice(0, -1) : pron;
  p = p.replace(/([エケゲセゼテデネヘベペメレェ])イ/g, '$1ー')
    .replace(/([イキギシジチヂニヒビピミリィ])イ/g, '$1ー')
    .replace(/([ウクグスズツヅヌフブプムユルュゥオコゴソゾトドノホボポモヨロョォ])ウ/g, '$1ー');
  return verbEnd ? p + 'ウ' : p;
}

/**
 * After a number misaki's tagger reads a counter as a counter (年 ネン, not トシ); IPADIC, seeing
 * kana before it, often does not. Our readings for the commonest counters, UniDic's forms; the
 * longest one that starts the text after a number is taken (万人 before 万).
 */
export const COUNTERS = new Map<string, string>(Object.entries({
  年: 'ネン', 月: 'ガツ', 日: 'ニチ', 人: 'ニン', 分: 'フン', 時: 'ジ', 円: 'エン', 個: 'コ', 回: 'カイ', 度: 'ド', 歳: 'サイ',
  才: 'サイ', 階: 'カイ', 号: 'ゴー', 秒: 'ビョー', 本: 'ホン', 枚: 'マイ', 冊: 'サツ', 匹: 'ヒキ', 台: 'ダイ', 杯: 'ハイ', 番: 'バン',
  週: 'シュー', 倍: 'バイ', 点: 'テン', 件: 'ケン', 位: 'イ', 代: 'ダイ', 名: 'メー', 割: 'ワリ', 万: 'マン', 億: 'オク',
  時間: 'ジカン', 年間: 'ネンカン', 日間: 'ニチカン', 分間: 'フンカン', 週間: 'シューカン', 年生: 'ネンセー',
  万人: 'マンニン', 万円: 'マンエン', 万年: 'マンネン', 億円: 'オクエン', 億人: 'オクニン',
}));

/**
 * Words (one to three IPADIC tokens, matched on their surfaces) that UniDic reads otherwise:
 * IPADIC takes 行っ for 行う (おこなっ), reads a lone 日 as ビ, cuts 一人 into 一|人...
 */
export const OVERRIDES = new Map<string, string>(Object.entries({
  私: 'ワタクシ', 明日: 'アス', 一人: 'ヒトリ', 二人: 'フタリ', 日本語: 'ニッポンゴ', 行っ: 'イッ', 日: 'ヒ', 何の: 'ナンノ',
  ええと: 'エート', 試着: 'シチャク',
}));
export const OVERRIDE_MAX_TOKENS = 3;

const NUMBER_MORPHEMES = /ゼロ|いっ|いち|ろっ|ろく|はっ|はち|きゅう|じゅう|ひゃく|びゃく|ぴゃく|せん|ぜん|まん|おく|さん|よん|なな|に|ご/g;
const UNIT = /^(?:じゅう|ひゃく|びゃく|ぴゃく|せん|ぜん)$/;

/**
 * num2kana's hiragana for one number, as the words misaki's tagger tends to find in it: a digit
 * and the unit after it together (よんじゅう, ごひゃく), 万 and 億 apart; long vowels as ー.
 */
export function numberWords(kana: string): string[] {
  const out: string[] = [];
  let prevDigit = false;
  for (const m of kana.matchAll(NUMBER_MORPHEMES)) {
    const k = kataToHira(m[0]).replace(/([ゅく])う/g, '$1ー');
    const unit = UNIT.test(m[0]);
    if (unit && prevDigit) out[out.length - 1] += k;
    else out.push(k);
    prevDigit = !unit && m[0] !== 'まん' && m[0] !== 'おく';
  }
  return out;
}
