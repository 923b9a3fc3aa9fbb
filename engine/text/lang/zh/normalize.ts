// Mandarin text normalization before misaki's own steps (which zhG2P repeats: cn2an, punctuation).
// Where we read differently from misaki, on purpose, because its reading is clearly wrong:
//   1,234,567 -> 1234567     cn2an reads the groups apart: "一,二百三十四,五百六十七"
//   9:30 -> 9点30分           cn2an: "九:三十" (a pause, no 点)
//   2024-03-15, 2024/3/15 -> 2024年3月15日   cn2an: "二千零二十四负三负十五"
//   ¥100 / ￥100 / $5 / €5 -> 100元 / 5美元 / 5欧元   the sign is not read at all
//   ５０％ (full-width percent) -> 50%         cn2an matches only the ASCII sign
// Then the numbers are written in Chinese as misaki's cn2an step does (zhG2P repeats it, a no-op
// by then), so the chunker sees their words: digits are one "word" that reads as many syllables.
// Clause punctuation (，、；：) becomes ASCII with a space, as misaki's map_punctuation does
// anyway (same phonemes), so the chunker finds clause bounds in text without spaces.
import { an2cnTransform } from './cn2an.js';

const CLAUSE: Array<[string, string]> = [['，', ', '], ['、', ', '], ['；', '; '], ['：', ': ']];

export function normalizeZh(text: string): string {
  let t = text.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replaceAll('％', '%');
  t = t.replace(/(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d]|[.,]\d)/g, (m) => m.replaceAll(',', ''));
  t = t.replace(/(?<!\d)(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d]|[-/.]\d)/g, (_m, y: string, _s, mo: string, d: string) =>
    Number(mo) >= 1 && Number(mo) <= 12 && Number(d) >= 1 && Number(d) <= 31 ? `${y}年${Number(mo)}月${Number(d)}日` : _m);
  t = t.replace(/(?<![\d:])([01]?\d|2[0-3])[:：]([0-5]\d)(?![\d:])/g, (_m, h: string, mi: string) => (mi === '00' ? `${Number(h)}点` : `${Number(h)}点${mi}分`));
  t = t.replace(/[¥￥]\s?(\d+(?:\.\d+)?)/g, '$1元').replace(/\$\s?(\d+(?:\.\d+)?)/g, '$1美元').replace(/€\s?(\d+(?:\.\d+)?)/g, '$1欧元');
  t = an2cnTransform(t);
  for (const [from, to] of CLAUSE) t = t.replaceAll(from, to);
  return t.replace(/ {2,}/g, ' ').trim();
}

const wordBreaker = new Intl.Segmenter('zh', { granularity: 'word' });

/**
 * Words for the chunker (which cuts long sentences only between words): the space-separated
 * pieces, each cut at ICU's Chinese word bounds, punctuation kept with the word before it
 * (opening punctuation with the word after it). Joined by spaces they give the text back with
 * spaces at those bounds, which zhG2P reads as word bounds (the bounds it would use anyway).
 */
export function splitWordsZh(text: string): string[] {
  const out: string[] = [];
  for (const piece of text.split(' ')) {
    const words: string[] = [];
    let lead = ''; // opening punctuation before the first word goes with it
    for (const s of wordBreaker.segment(piece)) {
      if (s.isWordLike) {
        words.push(lead + s.segment);
        lead = '';
      } else if (words.length) words[words.length - 1] += s.segment;
      else lead += s.segment;
    }
    if (lead) words.push(lead);
    out.push(...words);
  }
  return out;
}
