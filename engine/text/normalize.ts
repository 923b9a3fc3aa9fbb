// Text rewrites before G2P, for what a person reads differently from how misaki would read
// the raw characters (misaki spells "km" as letters, reads "3-4" as "three four", drops the
// pause-free reading of phone numbers...). Each rewrite produces plain words and numbers that
// misaki's own rules then read, so every phoneme still comes from misaki's lexicon and rules.
// Numbers, money, ordinals, years, percentages and acronyms are left to misaki's rules.

import type { Lang } from '../../protocol/constants.js';

/** Collapses whitespace, removes control characters. Keeps blank lines as paragraph breaks. */
export function cleanText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u200B-\u200D\uFEFF]/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\u00A0\u2000-\u200A\u202F\u205F\u3000]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Web addresses as a person reads them: no "h t t p s colon slash slash", "www" spelled out. */
export function normalizeAddresses(text: string): string {
  return text
    .replace(/\bhttps?:\/\/(?=[\w-])/gi, '')
    .replace(/\bwww\.(?=[\w-]+\.)/gi, 'WWW.');
}

// Units read after a number: [singular US, plural US, singular GB, plural GB].
const UNITS: Record<string, [string, string, string, string]> = {
  km: ['kilometer', 'kilometers', 'kilometre', 'kilometres'],
  m: ['meter', 'meters', 'metre', 'metres'],
  cm: ['centimeter', 'centimeters', 'centimetre', 'centimetres'],
  mm: ['millimeter', 'millimeters', 'millimetre', 'millimetres'],
  kg: ['kilogram', 'kilograms', 'kilogram', 'kilograms'],
  g: ['gram', 'grams', 'gram', 'grams'],
  mg: ['milligram', 'milligrams', 'milligram', 'milligrams'],
  lb: ['pound', 'pounds', 'pound', 'pounds'],
  lbs: ['pound', 'pounds', 'pound', 'pounds'],
  oz: ['ounce', 'ounces', 'ounce', 'ounces'],
  ml: ['milliliter', 'milliliters', 'millilitre', 'millilitres'],
  l: ['liter', 'liters', 'litre', 'litres'],
  mph: ['mile per hour', 'miles per hour', 'mile per hour', 'miles per hour'],
  kph: ['kilometer per hour', 'kilometers per hour', 'kilometre per hour', 'kilometres per hour'],
  'km/h': ['kilometer per hour', 'kilometers per hour', 'kilometre per hour', 'kilometres per hour'],
  kb: ['kilobyte', 'kilobytes', 'kilobyte', 'kilobytes'],
  mb: ['megabyte', 'megabytes', 'megabyte', 'megabytes'],
  gb: ['gigabyte', 'gigabytes', 'gigabyte', 'gigabytes'],
  tb: ['terabyte', 'terabytes', 'terabyte', 'terabytes'],
  ms: ['millisecond', 'milliseconds', 'millisecond', 'milliseconds'],
  ghz: ['gigahertz', 'gigahertz', 'gigahertz', 'gigahertz'],
  mhz: ['megahertz', 'megahertz', 'megahertz', 'megahertz'],
  khz: ['kilohertz', 'kilohertz', 'kilohertz', 'kilohertz'],
  hz: ['hertz', 'hertz', 'hertz', 'hertz'],
  kw: ['kilowatt', 'kilowatts', 'kilowatt', 'kilowatts'],
  kwh: ['kilowatt hour', 'kilowatt hours', 'kilowatt hour', 'kilowatt hours'],
};

function unitWord(unit: string, amount: string, lang: Lang): string {
  const forms = UNITS[unit.toLowerCase()];
  const one = /^[-+]?1(\.0+)?$/.test(amount.replaceAll(',', ''));
  return forms[(lang === 'en-gb' ? 2 : 0) + (one ? 0 : 1)];
}

export function normalizeUnits(text: string, lang: Lang): string {
  // Case-sensitive where a letter means something else in upper case (M, G, L are rarely units).
  const keys = Object.keys(UNITS).sort((a, b) => b.length - a.length).map((k) => k.replace('/', '\\/')).join('|');
  const re = new RegExp(`(?<![\\w.])(\\d[\\d,]*(?:\\.\\d+)?) ?(${keys}|KB|MB|GB|TB|GHz|MHz|kHz|Hz|kW|kWh)(?![\\w/])`, 'g');
  return text
    .replace(re, (_, n: string, u: string) => `${n} ${unitWord(u, n, lang)}`)
    .replace(/(\d)\s?°\s?F\b/g, '$1 degrees Fahrenheit')
    .replace(/(\d)\s?°\s?C\b/g, '$1 degrees Celsius')
    .replace(/(\d)\s?°/g, '$1 degrees');
}

/** 3.2x, 10x -> "times"; 3-4 (rising) -> "3 to 4"; 1/2 -> "one half"; 3 = 3 -> "equals".
 * ("#4521" is left to misaki, which drops the sign and reads "forty-five twenty-one".) */
export function normalizeNumberForms(text: string): string {
  const FRACTIONS: Record<string, string> = { '1/2': 'one half', '1/3': 'one third', '2/3': 'two thirds', '1/4': 'one quarter', '3/4': 'three quarters' };
  return text
    .replace(/(?<![\w.])(\d+(?:\.\d+)?)x(?!\w)/g, '$1 times')
    .replace(/(?<![\w.\-/])(\d+)-(\d+)(?![\w.\-/])/g, (m, a: string, b: string) => (Number(b) > Number(a) ? `${a} to ${b}` : m))
    .replace(/(?<![\w./])([123])\/([234])(?![\w/])/g, (m: string) => FRACTIONS[m] ?? m)
    .replace(/(\d)\s?=\s?(?=\d)/g, '$1 equals ');
}

/** Version numbers (2.10.3) read "two point ten point three". */
export function normalizeVersions(text: string): string {
  return text.replace(/(?<![\w.])v?(\d+(?:\.\d+){2,})(?![\w.]|\.\d)/g, (_, v: string) => v.split('.').join(' point '));
}

/** Phone numbers read digit by digit in groups: 555-0123, 1-800-555-0199, 07700 900123. */
export function normalizePhones(text: string): string {
  const digits = (g: string): string => [...g].join(' ');
  return text
    .replace(/(?<![\w-])(?:(1)-)?(\d{3})-(\d{3})-(\d{4})(?![\w-])/g, (_, c: string | undefined, a: string, b: string, d: string) =>
      [c, a, b, d].filter(Boolean).map((g) => digits(g as string)).join(', '))
    .replace(/(?<![\w-])(\d{3})-(\d{4})(?![\w-])/g, (_, a: string, b: string) => `${digits(a)}, ${digits(b)}`)
    .replace(/(?<![\w-])(0\d{4}) (\d{6})(?![\w-])/g, (_, a: string, b: string) => `${digits(a)}, ${digits(b)}`);
}

/** Clock times: 7:45 -> "7 45", 5:00 -> "5 o'clock", 8:05 -> "8 oh 5" (no colon pause mid-time). */
export function normalizeTimes(text: string): string {
  return text.replace(/(?<![\w:.])([01]?\d|2[0-3]):([0-5]\d)(?![\w:]|\.\d)/g, (_, h: string, m: string) => {
    if (m === '00') return /^\s*[ap]\.?m\b/i.test(text.slice(text.indexOf(`${h}:${m}`) + h.length + 3)) ? h : `${h} o'clock`;
    return m[0] === '0' ? `${h} oh ${m[1]}` : `${h} ${m}`;
  });
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const ordinalSuffix = (d: number): string => (d % 100 >= 11 && d % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][d % 10] ?? 'th');

/** ISO dates and "March 3" read with ordinal days, in the order each variety says them. */
export function normalizeDates(text: string, lang: Lang): string {
  const months = MONTHS.join('|');
  return text
    .replace(/(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\w-])/g, (m, y: string, mo: string, d: string) => {
      const month = MONTHS[Number(mo) - 1];
      const day = Number(d);
      if (!month || day < 1 || day > 31) return m;
      return lang === 'en-gb' ? `${day}${ordinalSuffix(day)} ${month} ${y}` : `${month} ${day}${ordinalSuffix(day)}, ${y}`;
    })
    .replace(new RegExp(`\\b(${months}) (\\d{1,2})(?![\\d\\w:])`, 'g'), (m, month: string, d: string) => {
      const day = Number(d);
      return day >= 1 && day <= 31 ? `${month} ${day}${ordinalSuffix(day)}` : m;
    })
    .replace(new RegExp(`(?<![\\w,.])(\\d{1,2}) (${months})\\b`, 'g'), (m, d: string, month: string) => {
      const day = Number(d);
      return day >= 1 && day <= 31 ? `${day}${ordinalSuffix(day)} ${month}` : m;
    });
}

const ROMAN: Record<string, number> = { I: 1, V: 5, X: 10 };
function romanValue(r: string): number | null {
  if (!/^X{0,3}(IX|IV|V?I{0,3})$/.test(r) || !r) return null;
  let total = 0;
  for (let i = 0; i < r.length; i++) {
    const v = ROMAN[r[i]];
    const next = ROMAN[r[i + 1]] ?? 0;
    total += v < next ? -v : v;
  }
  return total;
}
const ORDINAL_WORDS = ['', 'First', 'Second', 'Third', 'Fourth', 'Fifth', 'Sixth', 'Seventh', 'Eighth', 'Ninth', 'Tenth',
  'Eleventh', 'Twelfth', 'Thirteenth', 'Fourteenth', 'Fifteenth', 'Sixteenth', 'Seventeenth', 'Eighteenth', 'Nineteenth', 'Twentieth'];
const COUNTED = /^(War|Chapter|Part|Volume|Vol\.|Act|Phase|Book|Section|Stage|Level|Round|Class|Type|Mark|Episode|Season|Article)$/;

/** Roman numerals after a name: "Henry VIII" -> "Henry the Eighth", "World War II" -> "World War 2". */
export function normalizeRoman(text: string): string {
  return text.replace(/\b([A-Z][a-z]+\.?) ([IVX]{2,5})\b/g, (m, word: string, r: string) => {
    const n = romanValue(r);
    if (n === null || n < 2) return m;
    if (COUNTED.test(word)) return `${word} ${n}`;
    return n < ORDINAL_WORDS.length ? `${word} the ${ORDINAL_WORDS[n]}` : m;
  });
}

/** "85p" -> "85 pence" (misaki would say "eighty-five p"). */
export function normalizePence(text: string): string {
  return text.replace(/(?<![\w.£$€])(\d+)p(?!\w)/g, '$1 pence');
}

export function normalizeText(text: string, lang: Lang = 'en-us'): string {
  let t = cleanText(text);
  t = normalizeAddresses(t);
  t = normalizeDates(t, lang);
  t = normalizePhones(t);
  t = normalizeVersions(t);
  t = normalizeTimes(t);
  t = normalizeUnits(t, lang);
  t = normalizeNumberForms(t);
  t = normalizePence(t);
  t = normalizeRoman(t);
  return t;
}
