// Japanese front end (engine/text/lang/ja/): the dictionary is verified before use, num2kana
// agrees with misaki's on every fixture number, PER against misaki 0.9.4 stays under its bars,
// the normalizer's deliberate readings, and chunks() cuts long Japanese between phrases.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_FIRST_CHUNK_TOKENS, FIRST_CHUNK_STRETCH_TOKENS } from '../../engine/text/index.js';
import { kuromojiDictDir, verifyIpadic } from '../../engine/text/lang/ja/dict.js';
import { jaG2P } from '../../engine/text/lang/ja/g2p.js';
import { IPADIC_FILES } from '../../engine/text/lang/ja/ipadic-manifest.js';
import { hiraToPhonemes } from '../../engine/text/lang/ja/kana.js';
import { normalizeJa } from '../../engine/text/lang/ja/normalize.js';
import { numberToKana } from '../../engine/text/lang/ja/num2kana.js';
import { scoreLang } from '../../engine/text/lang/score-lang.js';
import { splitSentencesLang } from '../../engine/text/lang/front-end.js';
import { Vocab } from '../../engine/text/vocab.js';
import { fixtureDir, frontEnd, modelsDir } from './models.js';

test('the IPADIC files match their manifest; a changed byte or a missing file is refused', async () => {
  const { dir } = kuromojiDictDir();
  await verifyIpadic(dir);
  const tmp = mkdtempSync(path.join(tmpdir(), 'ipadic-'));
  try {
    for (const f of IPADIC_FILES) copyFileSync(path.join(dir, f.name), path.join(tmp, f.name));
    await verifyIpadic(tmp);
    const victim = path.join(tmp, 'unk_char.dat.gz');
    const bytes = readFileSync(victim);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(victim, bytes);
    await assert.rejects(verifyIpadic(tmp), /unk_char\.dat\.gz does not match its manifest.*refusing/);
    rmSync(victim);
    await assert.rejects(verifyIpadic(tmp), /Japanese dictionary file missing/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('num2kana equals misaki 0.9.4 num2kana.Convert on every fixture number', () => {
  const rows = JSON.parse(readFileSync(path.join(fixtureDir, 'ja', 'num2kana.json'), 'utf8')) as Array<{ digits: string; kana: string }>;
  assert.ok(rows.length >= 300);
  for (const r of rows) assert.equal(numberToKana(r.digits), r.kana, r.digits);
  // Past misaki's 9 digits (it returns an English error message): digit by digit.
  assert.equal(numberToKana('1234567890'), 'いちにさんよんごろくななはちきゅうゼロ');
});

test('kana -> phonemes: ん assimilates to the next kana, っ is ʔ, ー is ː, digraphs', () => {
  assert.equal(hiraToPhonemes('しんぶん'), 'ɕimbɯɴ');
  assert.equal(hiraToPhonemes('てんき'), 'teŋkʲi');
  assert.equal(hiraToPhonemes('こんにちは'), 'koɲɲiʨiha');
  assert.equal(hiraToPhonemes('ほんとう'), 'hontoɯ');
  assert.equal(hiraToPhonemes('きっぷ'), 'kʲiʔpɯ');
  assert.equal(hiraToPhonemes('らーめん'), 'ɾaːmeɴ');
  assert.equal(hiraToPhonemes('ちょっと'), 'ʨoʔto');
  assert.equal(hiraToPhonemes('ふぁみりー'), 'ɸamʲiɾʲiː');
});

test('whole sentences: readings, particles, numbers with counters, Latin words kept as written', async () => {
  assert.equal(await jaG2P('今日はとても良い天気ですね。'), 'kʲoː βa totemo joi teŋkʲi desɨ ne.');
  assert.equal(await jaG2P('「おはよう」と彼女は言った。'), '“ohajoː” to kanoʥo βa iʔta.');
  assert.equal(await jaG2P('2024年4月1日'), 'ɲiseɴ ɲiʥɨː joɴ neɴ joɴ ɡaʦɨ iʨi ɲiʨi');
  assert.equal(await jaG2P('iPhoneを買った。'), 'iPhone o kaʔta.');
});

test('normalizeJa: grouped thousands, decimals, times, slashed dates, %, long numbers, phrase gaps', () => {
  assert.equal(normalizeJa('価格は1,280円'), '価格は 1280円');
  assert.equal(normalizeJa('3.14'), '3点いちよん');
  assert.equal(normalizeJa('10:30に'), '10時30分に');
  assert.equal(normalizeJa('2024/4/1'), '2024年4月1日');
  assert.equal(normalizeJa('20%'), '20パーセント');
  assert.equal(normalizeJa('12345678901円'), '123億4567万8901円');
  assert.equal(normalizeJa('ＡＢＣ１２３'), 'ABC123');
  assert.equal(normalizeJa('5〜10人'), '5から10人');
  assert.equal(normalizeJa('お茶を飲んで、引っ越した。'), 'お茶を 飲んで, 引っ越した。');
  assert.equal(normalizeJa('思い出を話した'), '思い出を 話した');
});

// Bars: what this reached, rounded up a little (tuning 0.71%, held-out 0.64%; misaki 0.9.4 on
// unidic-lite, our normalized text). The target for held-out is 2%.
for (const [set, maxPer] of [['tuning', 0.009], ['heldout', 0.008]] as const) {
  test(`${set} ja vs misaki(our normalized text): PER <= ${(maxPer * 100).toFixed(1)}%`, async () => {
    const s = await scoreLang(fixtureDir, 'ja', set, 'norm', Vocab.load(modelsDir));
    assert.ok(s, 'fixtures present');
    assert.ok(s.sentences >= (set === 'tuning' ? 150 : 50), `${s.sentences} sentences`);
    assert.ok(s.per <= maxPer, `PER ${(s.per * 100).toFixed(2)}%`);
  });
}

test('sentences end at 。！？ without spaces; chunks() cuts long Japanese between phrases, never inside a word', async () => {
  assert.deepEqual(splitSentencesLang(normalizeJa('雨です。晴れ？はい！'), 'ja'), ['雨です。', '晴れ?', 'はい!']);
  const fe = await frontEnd();
  const text = '昨日の夜、駅の近くにある小さな喫茶店で古い友達と久しぶりに会って、学生時代の思い出や最近の仕事について遅くまでゆっくり話しました。明日は雨が降るそうです。';
  const chunks = await fe.chunk(text, 'ja');
  assert.ok(chunks.length >= 2, `${chunks.length} chunks`);
  const first = chunks[0]!;
  assert.ok(first.tokens.length <= DEFAULT_FIRST_CHUNK_TOKENS || (/[,。.!?]$/.test(first.text) && first.tokens.length <= FIRST_CHUNK_STRETCH_TOKENS),
    `first chunk ${first.tokens.length} tokens ("${first.text}")`);
  const norm = normalizeJa(text);
  // Every chunk is a run of whole phrases of the normalized text, in order, none lost.
  assert.equal(chunks.map((c) => c.text).join(' ').replace(/ /g, ''), norm.replace(/ /g, ''));
  const phrases = new Set(norm.split(/ |(?<=。)/));
  for (const c of chunks) {
    for (const p of c.text.split(/ |(?<=。)/)) assert.ok(phrases.has(p), `"${p}" is a whole phrase`);
    assert.ok(c.tokens.length > 0 && c.tokens.length <= 510);
  }
  assert.equal((await fe.phonemize(text, 'ja')).replace(/\s+/g, ''), (await jaG2P(norm.split('。')[0] + '。') + (await jaG2P('明日は 雨が 降るそうです。'))).replace(/\s+/g, ''));
});
