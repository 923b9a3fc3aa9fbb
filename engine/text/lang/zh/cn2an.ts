// Arabic numerals to Chinese, as misaki's ZHG2P does first (cn2an 0.5.x `transform(text, 'an2cn')`,
// read for its rules; our own code): ranges before a measure word (3-5天 -> 三到五天), dates (the
// year digit by digit: 2024年 -> 二零二四年), fractions (1/3 -> 三分之一), percentages
// (60% -> 百分之六十), ℃ (摄氏度), then every other number in the "low" style (一千二百三十四,
// 3.14 -> 三点一四, -5 -> 负五). A number longer than 16 digits is left as it is, as in cn2an.

const DIGITS = '零一二三四五六七八九';
// The unit for each position from the right: 个 十 百 千 万 ... (16 positions).
const UNITS = ['', '十', '百', '千', '万', '十', '百', '千', '亿', '十', '百', '千', '万', '十', '百', '千'];
export const MEASURE_WORDS = '斤|克|千克|公斤|吨|米|厘米|毫米|公里|升|毫升|元|角|分|个|只|条|张|块|瓶|杯|份|本|辆|台|匹|头|位|亩|小时|分钟|秒|天|半';

function integerLow(digits: string): string {
  const s = digits.replace(/^0+(?=\d)/, '');
  const n = s.length;
  if (n > UNITS.length) throw new RangeError('too many digits');
  let out = '';
  for (let i = 0; i < n; i++) {
    const d = Number(s[i]);
    const pos = n - i - 1;
    if (d) out += DIGITS[d]! + UNITS[pos]!;
    else {
      if (pos % 4 === 0) out += DIGITS[0]! + UNITS[pos]!;
      if (i > 0 && !out.endsWith('零')) out += DIGITS[0]!;
    }
  }
  out = out.replaceAll('零零', '零').replaceAll('零万', '万').replaceAll('零亿', '亿').replaceAll('亿万', '亿');
  out = out.replace(/^零+|零+$/g, '');
  out = out.replace(/([万亿])零([一二三四五六七八九][千])/g, '$1$2');
  if (out.startsWith('一十')) out = out.slice(1);
  return out || '零';
}

/** cn2an's an2cn in "low" mode: "-12.05" -> 负十二点零五. Throws on what it cannot read. */
export function an2cnLow(num: string): string {
  let s = num;
  let sign = '';
  if (s.startsWith('-')) {
    sign = '负';
    s = s.slice(1);
  }
  if (!/^\d+(\.\d*)?$/.test(s)) throw new RangeError(`not a number: ${num}`);
  const [int, dec] = s.split('.') as [string, string | undefined];
  let out = integerLow(int);
  if (dec) out += '点' + [...dec.slice(0, 16)].map((d) => DIGITS[Number(d)]).join('');
  return sign + out;
}

/** Digit by digit: 2024 -> 二零二四. */
export const an2cnDirect = (digits: string): string => [...digits].map((d) => (d === '.' ? '点' : DIGITS[Number(d)])).join('');

/** Like cn2an, a conversion that fails leaves the text as it was. */
function safe(text: string, f: (t: string) => string): string {
  try {
    return f(text);
  } catch {
    return text;
  }
}

/** cn2an.transform(text, 'an2cn'). */
export function an2cnTransform(text: string): string {
  let t = text;
  t = t.replace(new RegExp(`\\d+(\\.\\d+)?-\\d+(\\.\\d+)?(?=(${MEASURE_WORDS}))`, 'g'), (m) => safe(m, () => {
    const [a, b] = m.split('-') as [string, string];
    return `${an2cnLow(a)}到${an2cnLow(b)}`;
  }));
  t = t.replace(/(\d{2,4}年)?(\d{1,2}月)?(\d{1,2}日)?/g, (m) => (m ? safe(m, () => m.replace(/\d+(?=年)/g, an2cnDirect).replace(/\d+/g, an2cnLow)) : m));
  t = t.replace(/\d+\/\d+/g, (m) => safe(m, () => {
    const [a, b] = m.split('/') as [string, string];
    return `${an2cnLow(b)}分之${an2cnLow(a)}`;
  }));
  t = t.replace(/-?(\d+\.)?\d+%/g, (m) => safe(m, () => '百分之' + an2cnLow(m.slice(0, -1))));
  t = t.replace(/\d+℃/g, (m) => safe(m, () => an2cnLow(m.slice(0, -1)) + '摄氏度'));
  return t.replace(/-?(\d+\.)?\d+/g, (m) => safe(m, () => an2cnLow(m)));
}
