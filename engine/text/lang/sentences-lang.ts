// Sentence splitting for languages other than English. Like ../sentences.ts it splits only at
// whitespace after a sentence end, so chunk bounds stay at sentence, then clause, boundaries;
// Chinese and Japanese end sentences with 。！？ and friends without a following space.
import { type AnyLang } from './langs.js';

const ABBREV: Partial<Record<AnyLang, RegExp>> = {
  es: /(?:^|\s)(?:Sr|Sra|Srta|Dr|Dra|Ud|Uds|Lic|Ing|Prof|etc|pág|núm|art|Avda|Excmo|[A-Z])\.$/,
  'fr-fr': /(?:^|\s)(?:M|MM|Mme|Mlle|Dr|Pr|St|Ste|etc|av|bd|p|n°|[A-Z])\.$/,
  it: /(?:^|\s)(?:Sig|Sigg|Dott|Dott\.ssa|Prof|Ing|Avv|Sig\.ra|ecc|pag|[A-Z])\.$/i,
  'pt-br': /(?:^|\s)(?:Sr|Sra|Dr|Dra|Prof|Profa|etc|pág|nº|Av|[A-Z])\.$/,
  hi: /(?:^|\s)(?:Dr|Mr|Mrs|[A-Z])\.$/,
};
const CJK_END = /([。！？!?…]+[」』”’）)]*)/u;

/** Splits text into sentences for `lang` (not en-us/en-gb: those keep ../sentences.ts). */
export function splitSentencesLang(text: string, lang: AnyLang): string[] {
  const out: string[] = [];
  for (const para of text.split(/\n\s*\n|\r\n\s*\r\n/)) {
    if (lang === 'ja' || lang === 'zh') {
      const parts = para.replace(/\s*\n\s*/g, ' ').split(CJK_END);
      for (let i = 0; i < parts.length; i += 2) {
        const s = (parts[i] + (parts[i + 1] ?? '')).trim();
        if (s) out.push(s);
      }
      continue;
    }
    const words = para.split(/\s+/).filter(Boolean);
    let cur: string[] = [];
    words.forEach((w, i) => {
      cur.push(w);
      const next = words[i + 1];
      const ends = /[.!?…।॥]["'”’»)\]]*$/u.test(w);
      if (!ends || next === undefined) return;
      const sofar = cur.join(' ');
      // A lower-case next word never starts a sentence (¿ and ¡ open Spanish ones).
      if (/^\p{Ll}/u.test(next)) return;
      const abbrev = ABBREV[lang];
      if (w.endsWith('.') && abbrev?.test(sofar)) return;
      out.push(sofar);
      cur = [];
    });
    if (cur.length) out.push(cur.join(' '));
  }
  return out;
}
