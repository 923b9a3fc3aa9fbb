// English number words with the same wording as the Python num2words package that misaki
// uses ("one thousand, two hundred and thirty-four"; years "nineteen oh-five"). Callers split
// on non-letters and drop "and", so only the words and their order matter here.

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
  'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const SCALES: Array<[bigint, string]> = [
  [10n ** 33n, 'decillion'], [10n ** 30n, 'nonillion'], [10n ** 27n, 'octillion'], [10n ** 24n, 'septillion'],
  [10n ** 21n, 'sextillion'], [10n ** 18n, 'quintillion'], [10n ** 15n, 'quadrillion'], [10n ** 12n, 'trillion'],
  [10n ** 9n, 'billion'], [10n ** 6n, 'million'], [1000n, 'thousand'],
];

function under1000(n: number): string {
  const parts: string[] = [];
  const h = Math.floor(n / 100);
  const rest = n % 100;
  if (h) parts.push(`${ONES[h]} hundred`);
  if (rest) {
    const words = rest < 20 ? ONES[rest] : TENS[Math.floor(rest / 10)] + (rest % 10 ? `-${ONES[rest % 10]}` : '');
    parts.push(h ? `and ${words}` : words);
  }
  return parts.join(' ');
}

export function cardinal(value: number | bigint): string {
  let n = BigInt(value);
  if (n < 0n) return `minus ${cardinal(-n)}`;
  if (n < 1000n) return n === 0n ? 'zero' : under1000(Number(n));
  const parts: string[] = [];
  for (const [scale, name] of SCALES) {
    if (n >= scale) {
      parts.push(`${cardinal(n / scale)} ${name}`);
      n %= scale;
    }
  }
  if (n > 0n) parts.push(n < 100n ? `and ${under1000(Number(n))}` : under1000(Number(n)));
  // num2words joins groups with ", " except before a bare "and x" tail.
  return parts.reduce((acc, p) => (p.startsWith('and ') ? `${acc} ${p}` : `${acc}, ${p}`));
}

const ORDINAL_WORDS: Record<string, string> = {
  one: 'first', two: 'second', three: 'third', five: 'fifth', eight: 'eighth', nine: 'ninth', twelve: 'twelfth',
};

export function ordinal(value: number | bigint): string {
  const words = cardinal(value);
  const m = /([a-z]+)$/.exec(words);
  if (!m) return words;
  const last = m[1];
  let ord: string;
  if (ORDINAL_WORDS[last]) ord = ORDINAL_WORDS[last];
  else if (last.endsWith('y')) ord = `${last.slice(0, -1)}ieth`;
  else ord = `${last}th`;
  return words.slice(0, words.length - last.length) + ord;
}

export function year(value: number): string {
  if (value < 0) return `${year(-value)} BC`;
  const high = Math.floor(value / 100);
  const low = value % 100;
  if ((high % 10 === 0 && low < 10) || high >= 100) return cardinal(value);
  const tail = low === 0 ? 'hundred' : low < 10 ? `oh-${ONES[low]}` : cardinal(low);
  return `${cardinal(high)} ${tail}`;
}

/** A decimal string such as "3.14" read as num2words reads float("3.14"). */
export function decimal(text: string): string {
  const neg = text.startsWith('-');
  const [intPart, fracRaw = ''] = (neg ? text.slice(1) : text).split('.');
  const frac = fracRaw.replace(/0+$/, '');
  const head = cardinal(BigInt(intPart || '0'));
  const words = frac ? `${head} point ${[...frac].map((d) => ONES[Number(d)]).join(' ')}` : head;
  return neg ? `minus ${words}` : words;
}
