// Readings of numbers, money, dates, symbols, abbreviations and contractions (en-US and en-GB).
// Expected phonemes are misaki 0.9.4's for the same text unless a comment says otherwise.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanText, normalizeAddresses, normalizeText } from '../../engine/text/normalize.js';
import { cardinal, decimal, ordinal, year } from '../../engine/text/num2words.js';
import path from 'node:path';
import { loadFixtures } from '../../engine/text/score.js';
import { fixtureDir, frontEnd } from './models.js';

test('number words follow num2words wording', () => {
  assert.equal(cardinal(0), 'zero');
  assert.equal(cardinal(1234), 'one thousand, two hundred and thirty-four');
  assert.equal(cardinal(1005), 'one thousand and five');
  assert.equal(cardinal(1_234_567), 'one million, two hundred and thirty-four thousand, five hundred and sixty-seven');
  assert.equal(ordinal(21), 'twenty-first');
  assert.equal(ordinal(100), 'one hundredth');
  assert.equal(ordinal(12), 'twelfth');
  assert.equal(year(1999), 'nineteen ninety-nine');
  assert.equal(year(1905), 'nineteen oh-five');
  assert.equal(year(2005), 'two thousand and five');
  assert.equal(year(2010), 'twenty ten');
  assert.equal(year(1900), 'nineteen hundred');
  assert.equal(decimal('3.14'), 'three point one four');
  assert.equal(decimal('10.50'), 'ten point five');
});

test('text clean-up keeps paragraphs and drops control characters', () => {
  assert.equal(cleanText('  a\u0000b \t c\r\n\r\n\r\n\r\nd  '), 'ab c\n\nd');
  assert.equal(normalizeAddresses('see https://example.com/x and www.test.org'), 'see example.com/x and WWW.test.org');
});

// One sentence per kind of text; the expected phonemes are misaki's, from the committed fixtures.
const KINDS = [
  'He finished 21st out of 400 runners.', // ordinals, cardinals
  'The band released its first album in 1999.', // years
  'She paid $1,234.56 for the new laptop.', // money with cents
  'The sandwich was £4.20 at the airport.', // pounds and pence
  'House prices rose to £4.7 million in that street.', // millions
  'The temperature dropped to -5 overnight.', // negatives
  'About 30% of the students walk to school.', // percent
  'Pi is approximately 3.14159.', // decimals
  'Breakfast is served at 7:45 every morning.', // clock times
  'We met at 6:15 p.m. outside the cinema.', // a.m./p.m.
  'Dr. Smith will see you now.', // titles
  'The FBI opened an investigation.', // acronym read as letters
  'NASA launched another rover to Mars.', // acronym read as a word
  'Salt & pepper are on the table.', // symbols
  "They couldn't've known about the flood.", // stacked contractions
  "Rock 'n' roll will never die.", // elided words
  'It was a state-of-the-art facility.', // hyphenated compounds
  'She said, "I will be there by noon."', // quotes
  'Well... I suppose we could try again.', // ellipsis
  "The children's toys were everywhere.", // possessives
  'Yesterday I read the whole novel in one sitting.', // heteronym, past tense
  'I refuse to answer that question.', // heteronym, verb
  'The refuse collectors come on Mondays.', // heteronym, noun
  'The café served croissants and crème brûlée.', // accented loanwords
  'Siobhan and Niamh flew in from Dublin.', // names
];

test('each kind of text reads as misaki reads our normalized text (en-US and en-GB)', async () => {
  const fe = await frontEnd();
  const rows = new Map(loadFixtures(path.join(fixtureDir, 'tuning.json')).map((r) => [r.text, r]));
  for (const text of KINDS) {
    const row = rows.get(text);
    assert.ok(row?.norm, `fixture row for ${text}`);
    for (const lang of ['en-us', 'en-gb'] as const) {
      assert.equal(normalizeText(text, lang), row.norm[lang], `normalized text matches the fixture: ${text}`);
      assert.equal(await fe.phonemize(text, lang), row[`${lang}-norm`], `${lang}: ${text}`);
    }
  }
});

test('normalization reads units, degrees, ranges, times, dates, phones, versions as a person does', () => {
  const cases: Array<[string, string, 'en-us' | 'en-gb']> = [
    ['The hike covered 12 km of rough ground.', 'The hike covered 12 kilometers of rough ground.', 'en-us'],
    ['The hike covered 12 km of rough ground.', 'The hike covered 12 kilometres of rough ground.', 'en-gb'],
    ['It weighs 1 kg.', 'It weighs 1 kilogram.', 'en-us'],
    ['He ran the 100m in under eleven seconds.', 'He ran the 100 meters in under eleven seconds.', 'en-us'],
    ['It was 72°F in the shade, 22°C inside.', 'It was 72 degrees Fahrenheit in the shade, 22 degrees Celsius inside.', 'en-us'],
    ['The new engine is 3.2x faster.', 'The new engine is 3.2 times faster.', 'en-us'],
    ['The trip takes 3-4 hours; the score was 3-2.', 'The trip takes 3 to 4 hours; the score was 3-2.', 'en-us'],
    ['Mix 1/2 cup with 3/4 cup.', 'Mix one half cup with three quarters cup.', 'en-us'],
    ['Breakfast is at 7:45, lunch at 12:00, tea at 4:05.', "Breakfast is at 7 45, lunch at 12 o'clock, tea at 4 oh 5.", 'en-us'],
    ['The alarm went off at 5:00 a.m.', 'The alarm went off at 5 a.m.', 'en-us'],
    ['The deadline is 2024-03-15.', 'The deadline is March 15th, 2024.', 'en-us'],
    ['The deadline is 2024-03-15.', 'The deadline is 15th March 2024.', 'en-gb'],
    ['She was born on March 3, 1988.', 'She was born on March 3rd, 1988.', 'en-us'],
    ['It begins on 12 June 2021.', 'It begins on 12th June 2021.', 'en-gb'],
    ['Call 555-0123 or 1-800-555-0199.', 'Call 5 5 5, 0 1 2 3 or 1, 8 0 0, 5 5 5, 0 1 9 9.', 'en-us'],
    ['Her number is 07700 900123.', 'Her number is 0 7 7 0 0, 9 0 0 1 2 3.', 'en-gb'],
    ['Please upgrade to version 2.10.3 now.', 'Please upgrade to version 2 point 10 point 3 now.', 'en-us'],
    ['King Henry VIII met Louis XIV after World War II.', 'King Henry the Eighth met Louis the Fourteenth after World War 2.', 'en-us'],
    ['The stamp costs 85p.', 'The stamp costs 85 pence.', 'en-gb'],
    ['So 3 + 4 = 7.', 'So 3 + 4 equals 7.', 'en-us'],
    ['Pi is 3.14 and 1,234 people paid $5.', 'Pi is 3.14 and 1,234 people paid $5.', 'en-us'],
  ];
  for (const [input, expected, lang] of cases) assert.equal(normalizeText(input, lang), expected, input);
});

test('en-GB uses the British lexicon and symbols', async () => {
  const fe = await frontEnd();
  assert.equal(await fe.phonemize('Hello world.', 'en-gb'), 'həlˈQ wˈɜːld.');
  assert.equal(await fe.phonemize('Hello world.', 'en-us'), 'həlˈO wˈɜɹld.');
});

test('web and e-mail addresses are read as a person reads them (deliberately unlike misaki)', async () => {
  const fe = await frontEnd();
  const url = await fe.phonemize('Visit https://example.com today.', 'en-us');
  assert.doesNotMatch(url, /ʧ/, 'no "h t t p s"');
  assert.match(url, /dˌɑt/);
  const mail = await fe.phonemize('Mail help@example.com now.', 'en-us');
  assert.match(mail, /hˈɛlp æt ɪɡzˈæmpəl dˌɑt kˈɑm/);
});

test('words in no lexicon go through espeak-ng and come out in Kokoro symbols', async () => {
  const fe = await frontEnd();
  const ps = await fe.phonemize('Okafor', 'en-gb');
  assert.equal(ps, 'ˈɒkafə');
  const us = await fe.phonemize('Zorblatt', 'en-us');
  assert.ok(us.length >= 5, us);
  assert.doesNotMatch(us, /[ːɚɐrx]/, 'espeak-only symbols are mapped away');
});
