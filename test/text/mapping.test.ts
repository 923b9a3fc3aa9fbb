// espeak-ng IPA -> Kokoro symbols, stress rules, vocabulary filtering and token ids.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { espeakToKokoro } from '../../engine/text/espeak.js';
import { applyStress } from '../../engine/text/stress.js';
import { Vocab } from '../../engine/text/vocab.js';
import { modelsDir } from './models.js';

test('espeak diphthongs and affricates become single Kokoro symbols', () => {
  assert.equal(espeakToKokoro('nˈeɪʃən', false), 'nˈAʃən');
  assert.equal(espeakToKokoro('mˈaɪ hˈaʊs bˈɔɪ', false), 'mˈI hˈWs bˈY');
  assert.equal(espeakToKokoro('ɡˈoʊ', false), 'ɡˈO');
  assert.equal(espeakToKokoro('ɡˈəʊ', true), 'ɡˈQ');
  assert.equal(espeakToKokoro('dʒˈʌdʒ tʃˈɜːtʃ', true), 'ʤˈʌʤ ʧˈɜːʧ');
});

test('espeak-only symbols are rewritten (ɚ, r, ɐ, x, ç, ː in US, flaps, glottal stops)', () => {
  assert.equal(espeakToKokoro('bˈʌɾɚ', false), 'bˈʌTəɹ');
  assert.equal(espeakToKokoro('ɐbˈaʊt', false), 'əbˈWt');
  assert.equal(espeakToKokoro('lˈɒx', true), 'lˈɒk');
  assert.equal(espeakToKokoro('bˈɜːd', false), 'bˈɜɹd');
  assert.equal(espeakToKokoro('bˈɜːd', true), 'bˈɜːd');
  assert.equal(espeakToKokoro('bˈʌʔn̩', false), 'bˈʌtn');
  assert.equal(espeakToKokoro('bˈɑːɾəl', false), 'bˈɑTᵊl');
  assert.equal(espeakToKokoro('rˈɛd', true), 'ɹˈɛd');
});

test('stress levels promote and demote marks as misaki does', () => {
  assert.equal(applyStress('ɡˈʊd', -1), 'ɡˌʊd');
  assert.equal(applyStress('ɡˈʊd', -2), 'ɡʊd');
  assert.equal(applyStress('ɡʊd', 2), 'ɡˈʊd');
  assert.equal(applyStress('ɡʊd', 0.5), 'ɡˌʊd');
  assert.equal(applyStress('ɡˌʊd', 1), 'ɡˈʊd');
  assert.equal(applyStress('ɡʊd', null), 'ɡʊd');
  assert.equal(applyStress('st', 2), 'st', 'nothing to stress without a vowel');
});

test('only vocabulary symbols reach the model, and they map to config.json ids', () => {
  const vocab = Vocab.load(modelsDir);
  const logged: string[] = [];
  const kept = vocab.filter('hˈɛlO❓ wɜɹld  ¿', (level, msg) => logged.push(`${level}:${msg}`));
  assert.equal(kept, 'hˈɛlO wɜɹld');
  assert.equal(logged.length, 1);
  assert.match(logged[0], /^debug:.*❓.*¿/);
  assert.deepEqual(vocab.encode('ðə'), [81, 83]);
  assert.deepEqual(vocab.encode('A I O Q W Y'), [24, 16, 25, 16, 31, 16, 33, 16, 39, 16, 41]);
});
