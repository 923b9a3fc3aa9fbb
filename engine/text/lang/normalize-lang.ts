// Text normalization for the espeak languages. misaki feeds espeak the raw text through the
// Python phonemizer, which cuts the text at every punctuation mark, digits included: "1.250.000"
// reaches espeak as "1", "250", "000" ("uno. doscientos cincuenta. cero cero cero") and "3,50"
// as "3", "50" (a pause between "tres" and "cincuenta"). That is clearly wrong, so grouped
// thousands lose their separators (espeak then reads the whole number) and a decimal comma is
// spoken as the language's word for it. Everything else espeak reads itself, as in misaki.
import { type EspeakLang } from './langs.js';

const DECIMAL_WORD: Record<EspeakLang, string | undefined> = {
  es: 'coma', 'fr-fr': 'virgule', it: 'virgola', 'pt-br': 'vírgula', hi: undefined,
};
// Languages that write 1.250.000 (dot groups) and 3,50 (decimal comma).
const DOT_THOUSANDS: Record<EspeakLang, boolean> = { es: true, it: true, 'pt-br': true, 'fr-fr': false, hi: false };

export function normalizeLangText(text: string, lang: EspeakLang): string {
  let t = text;
  if (DOT_THOUSANDS[lang]) {
    // 1.250.000 -> 1250000 (only well-formed groups of three)
    t = t.replace(/(?<![\d.,])\d{1,3}(?:\.\d{3})+(?![\d]|[.,]\d)/g, (m) => m.replaceAll('.', ''));
  } else if (lang === 'fr-fr') {
    // 1 250 000 / 1 250 000 (narrow no-break space) -> 1250000
    t = t.replace(/(?<![\d,])\d{1,3}(?:[ \u202f\u00a0]\d{3})+(?!\d)/g, (m) => m.replace(/[ \u202f\u00a0]/g, ''));
  } else if (lang === 'hi') {
    // 1,250,000 and Indian 12,50,000 groupings -> plain digits
    t = t.replace(/(?<![\d.])\d{1,3}(?:,\d{2,3})+(?![\d]|,\d)/g, (m) => m.replaceAll(',', ''));
  }
  const word = DECIMAL_WORD[lang];
  if (word) t = t.replace(/(?<![\d,])(\d+),(\d+)(?![\d]|,\d)/g, `$1 ${word} $2`);
  return t;
}
