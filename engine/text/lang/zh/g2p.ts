// misaki 0.9.4's ZHG2P as Kokoro-82M v1.0 uses it (`version=None`, the legacy path; read for the
// facts, our own code): numbers to Chinese (cn2an), full-width punctuation to ASCII, then each
// run of CJK ideographs (U+4E00-U+9FFF) segmented into words, each word turned into pinyin with
// tone numbers (neutral = 5) and the pinyin into Kokoro phonemes, words joined by spaces. Every
// other run (Latin letters, ASCII punctuation, spaces) passes through unchanged: the legacy path
// does NOT read English words as English (the vocabulary filter later keeps only the letters
// Kokoro knows). No tone sandhi (misaki's tone_sandhi.py belongs to the v1.1 front end).
//
// Where we differ: misaki segments with jieba and reads with pypinyin (its phrase dictionary per
// jieba word); we segment with ICU's dictionary word breaker (Intl.Segmenter, built into Node)
// and read with pinyin-pro (npm, MIT, its dictionary ships in the package).
import { pinyin } from 'pinyin-pro';
import { an2cnTransform } from './cn2an.js';
import { syllableToPhonemes } from './pinyin-ipa.js';

/** misaki's full-width punctuation mapping (zh.py map_punctuation), in its order. */
const PUNCTUATION: Array<[string, string]> = [
  ['、', ', '], ['，', ', '], ['。', '. '], ['．', '. '], ['！', '! '], ['：', ': '], ['；', '; '], ['？', '? '],
  ['«', ' “'], ['»', '” '], ['《', ' “'], ['》', '” '], ['「', ' “'], ['」', '” '], ['【', ' “'], ['】', '” '],
  ['（', ' ('], ['）', ') '],
];

export function mapPunctuation(text: string): string {
  let t = text;
  for (const [from, to] of PUNCTUATION) t = t.replaceAll(from, to);
  return t.trim();
}

/** Full-width digits count as digits for cn2an (Python's \d); ours are ASCII-only. */
const halfWidthDigits = (t: string): string => t.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));

const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });

/** Words of a run of ideographs (ICU's dictionary-based word breaker). */
export function segmentWords(run: string): string[] {
  return [...segmenter.segment(run)].map((s) => s.segment);
}

/** Tone-number pinyin of a run of ideographs, one syllable per character (neutral tone as 5). */
export function runPinyin(run: string): string[] {
  const out = pinyin(run, { toneType: 'num', type: 'array', toneSandhi: false, nonZh: 'consecutive' });
  return out.map((p) => p.replace(/0$/, '5'));
}

/** Kokoro phonemes of one pinyin syllable; an ideograph pinyin-pro has no reading for is dropped. */
const syllable = (py: string): string => syllableToPhonemes(py) ?? '';

// Characters pypinyin (misaki's reader) leaves in the neutral tone: particles and suffixes.
// Elsewhere pinyin-pro's neutral second syllables (喜欢, 衣服, 妈妈) are read in full by pypinyin.
const LIGHT = new Set([...'的了吗呢吧啊么们子着个得地呀啦嘛哪']);
// Common words (by jieba's word frequencies) in which pypinyin 0.55's phrase dictionary changes
// the tone of 一 or 不 (a fact table; pypinyin's data is MIT): 一 -> yi2 before a fourth tone,
// yi4 before the others; 不 -> bu2.
const SANDHI_WORDS = ('一个 一般 一定 一直 一起 一点 一面 一致 一旦 一半 一方面 一度 一代 一口气 一向 一流 一贯 ' +
  '一倍 一匹 一月 一幕 一分钟 一百 一次性 一步步 一心一意 一如既往 一成 不是 不会 不要 不到 不见 不住 不对 不要紧 ' +
  '不见得 不悦').split(' ').sort((a, b) => b.length - a.length);
const tone = (py: string): number => Number(py.at(-1));
const withTone = (py: string, t: number): string => py.slice(0, -1) + String(t);

/**
 * pinyin-pro's reading, brought closer to pypinyin's phrase readings (the tuning fixtures):
 * neutral tones only on particles and suffixes, 子 ending a word light, and 一/不 changing tone
 * only at the start of the words in SANDHI_WORDS (pypinyin's phrase dictionary has 一个 yi2,
 * 一起 yi4, 不会 bu2; elsewhere, a lone 一 or 不 included, they keep their own tone).
 */
export function adjustWord(word: string, pys: string[]): string[] {
  const chars = [...word];
  const out = pys.slice();
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (tone(out[i]!) === 5 && !LIGHT.has(c)) {
      const own = runPinyin(c)[0];
      if (own && tone(own) !== 5) out[i] = own;
    }
    if (c === '子' && i === chars.length - 1 && i > 0) out[i] = withTone(out[i]!, 5);
  }
  // 一/不 change tone only where pypinyin's phrase dictionary says so, for the word at the start
  // of ours (its readings are lexical: 一个 yí, 一起 yì, but 一些 yī, 不过 bù).
  const first = SANDHI_WORDS.find((w) => word.startsWith(w));
  if (first) out[0] = first[0] === '不' ? 'bu2' : tone(out[1]!) === 4 ? 'yi2' : 'yi4';
  return out;
}

/** One run of ideographs -> words of phonemes joined by spaces. */
function readRun(run: string): string {
  const chars = [...run];
  const pys = runPinyin(run);
  // pinyin-pro reads the whole run (its word list resolves polyphones across our word bounds);
  // its output has one entry per character for a run of ideographs.
  const whole = pys.length === chars.length;
  const out: string[] = [];
  let i = 0;
  for (const w of segmentWords(run)) {
    const n = [...w].length;
    out.push(adjustWord(w, whole ? pys.slice(i, i + n) : runPinyin(w)).map(syllable).join(''));
    i += n;
  }
  return out.join(' ');
}

const RUNS = /[\u4e00-\u9fff]+|[^\u4e00-\u9fff]+/gu;
const IDEOGRAPH = /^[\u4e00-\u9fff]/u;

/** Kokoro phonemes for Mandarin text, as misaki's legacy ZHG2P gives them (before the vocabulary filter). */
export function zhG2P(text: string): string {
  if (!text.trim()) return '';
  const t = mapPunctuation(an2cnTransform(halfWidthDigits(text)));
  let out = '';
  for (const run of t.match(RUNS) ?? []) out += IDEOGRAPH.test(run) ? readRun(run) : run;
  return out;
}
