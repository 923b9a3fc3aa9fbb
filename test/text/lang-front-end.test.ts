// The espeak languages through the public front end (engine/text/index.ts): what phonemize()
// and chunks() give is what the lang/ modules score 0.00% PER with, chunks keep their bounds,
// and the first-chunk rule cuts these languages at natural boundaries too.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { boundaryRank, DEFAULT_FIRST_CHUNK_TOKENS, FIRST_CHUNK_STRETCH_TOKENS } from '../../engine/text/index.js';
import { feedLang } from '../../engine/text/lang/score-lang.js';
import { ESPEAK_LANGS } from '../../engine/text/lang/langs.js';
import { editDistance, loadFixtures, type LangFixtureRow } from '../../engine/text/score.js';
import { Vocab } from '../../engine/text/vocab.js';
import { fixtureDir, frontEnd, modelsDir } from './models.js';

test('phonemize() of every espeak language equals what g2p:score measures (fixture texts, raw and normalized)', async () => {
  const fe = await frontEnd();
  const vocab = Vocab.load(modelsDir);
  for (const lang of ESPEAK_LANGS) {
    const rows = loadFixtures(path.join(fixtureDir, lang, 'heldout.json')) as unknown as LangFixtureRow[];
    for (const row of rows.slice(0, 25)) {
      for (const input of [row.text, row.norm?.[lang]]) {
        if (input === undefined) continue;
        assert.equal(await fe.phonemize(input, lang), await feedLang(input, lang, vocab), `${lang}: ${input}`);
      }
    }
  }
});

const LONG: Record<(typeof ESPEAK_LANGS)[number], string> = {
  es: 'Cuando llegamos al puerto de la ciudad vieja, el barco que debía llevarnos a la isla ya había salido, así que esperamos en un café pequeño mirando las gaviotas. ¿Quién lo habría dicho? Al final llegamos de noche.',
  'fr-fr': "Quand nous sommes arrivés au port de la vieille ville, le bateau qui devait nous emmener sur l'île était déjà parti, alors nous avons attendu dans un petit café en regardant les mouettes. Qui l'aurait cru ? Nous sommes arrivés de nuit.",
  hi: 'जब हम पुराने शहर के बंदरगाह पर पहुँचे, तो हमें द्वीप पर ले जाने वाली नाव पहले ही जा चुकी थी, इसलिए हमने एक छोटे से कैफ़े में बैठकर समुद्री पक्षियों को देखा। आख़िर में हम रात को पहुँचे।',
  it: "Quando siamo arrivati al porto della città vecchia, la nave che doveva portarci sull'isola era già partita, così abbiamo aspettato in un piccolo caffè guardando i gabbiani. Chi l'avrebbe detto? Alla fine siamo arrivati di notte.",
  'pt-br': 'Quando chegamos ao porto da cidade velha, o barco que devia nos levar para a ilha já tinha partido, então esperamos num café pequeno olhando as gaivotas. Quem diria? No fim chegamos à noite.',
};

test('chunks() in every espeak language: a short first chunk at a clause boundary, no word cut, 510 tokens at most', async () => {
  const fe = await frontEnd();
  for (const lang of ESPEAK_LANGS) {
    const text = LONG[lang];
    const chunks = await fe.chunk(text, lang);
    assert.ok(chunks.length >= 2, `${lang}: ${chunks.length} chunks`);
    // At most the cap, or up to the stretch when that reaches punctuation (engine/text/index.ts).
    const first = chunks[0]!;
    const atPunctuation = /[.,;:!?…।—]["'»”)]*$/.test(first.text);
    assert.ok(first.tokens.length <= DEFAULT_FIRST_CHUNK_TOKENS || (atPunctuation && first.tokens.length <= FIRST_CHUNK_STRETCH_TOKENS),
      `${lang}: first chunk ${first.tokens.length} tokens ("${first.text}")`);
    // The cut is a natural boundary: never after a determiner or the like (rank 0), and at
    // least before a preposition or conjunction, or after clause punctuation (Hindi, dense in
    // tokens, has none under the cap here: any word but a genitive will do).
    const words = text.split(/\s+/);
    const n = chunks[0]!.text.split(' ').length;
    assert.ok(n >= 3 && boundaryRank(words[n - 1]!, words[n]!, lang) >= (lang === 'hi' ? 1 : 2), `${lang}: first chunk "${chunks[0]!.text}" | ${words[n]}`);
    assert.equal(chunks.map((c) => c.text).join(' '), text.split(/\s+/).join(' '), `${lang}: every word once, none cut`);
    for (const c of chunks) assert.ok(c.tokens.length > 0 && c.tokens.length <= 510);
    // The chunks read as the whole text does, but at the seams (a cut is a pause to espeak:
    // Spanish "de" after one is [de], not [ðe]): at most 2 symbols per seam differ.
    const sym = (ps: string) => [...ps.replace(/\s+/g, '')];
    const d = editDistance(sym(chunks.map((c) => c.phonemes).join(' ')), sym(await fe.phonemize(text, lang)));
    assert.ok(d <= 2 * (chunks.length - 1), `${lang}: ${d} symbols differ from the whole text's reading`);
  }
});

test('boundary ranks per language: determiners never end a first chunk, conjunctions start the next', () => {
  assert.equal(boundaryRank('la', 'casa', 'es'), 0);
  assert.equal(boundaryRank('casa', 'porque', 'es'), 3);
  assert.equal(boundaryRank('casa', 'con', 'es'), 2);
  assert.equal(boundaryRank('le', 'chat', 'fr-fr'), 0);
  assert.equal(boundaryRank('chat', 'mais', 'fr-fr'), 3);
  assert.equal(boundaryRank('nave', 'perché', 'it'), 3);
  assert.equal(boundaryRank('barco', 'que', 'pt-br'), 3);
  assert.equal(boundaryRank('था।', 'फिर', 'hi'), 5);
  assert.equal(boundaryRank('शहर', 'के', 'hi'), 1);
  assert.equal(boundaryRank('के', 'बंदरगाह', 'hi'), 0);
  assert.equal(boundaryRank('कैफ़े', 'में', 'hi'), 1);
  assert.equal(boundaryRank('में', 'बैठकर', 'hi'), 2);
  assert.equal(boundaryRank('años,', 'que', 'es'), 4);
  // English word lists do not leak into other languages ("the" is no Spanish word; "con" no English one).
  assert.equal(boundaryRank('casa', 'con', 'en-us'), 1);
});

test('unsupported languages fail before anything is yielded', async () => {
  const fe = await frontEnd();
  await assert.rejects(fe.chunk('Hallo.', 'de' as never), /unsupported language: de/);
});
