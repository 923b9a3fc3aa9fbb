import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultModelsDir, resolveModelsDir } from '../../models/fetch.js';
import { mirrorUrlsFromEnv } from '../../models/paths.js';

test('KOKORO_MODELS_DIR wins, made absolute', () => {
  assert.equal(resolveModelsDir({ KOKORO_MODELS_DIR: 'some/rel', XDG_CACHE_HOME: '/x' }), resolve('some/rel'));
  assert.equal(resolveModelsDir({ KOKORO_MODELS_DIR: '/abs/models' }), '/abs/models');
});

test('otherwise the XDG cache, else ~/.cache', () => {
  assert.equal(resolveModelsDir({ XDG_CACHE_HOME: '/var/cache/u' }), '/var/cache/u/kokoro-gateway/models');
  assert.equal(resolveModelsDir({ KOKORO_MODELS_DIR: '' }), join(homedir(), '.cache', 'kokoro-gateway', 'models'));
  assert.equal(defaultModelsDir({}), join(homedir(), '.cache', 'kokoro-gateway', 'models'));
});

test('KOKORO_MODELS_MIRROR is a comma-separated list', () => {
  assert.deepEqual(mirrorUrlsFromEnv({ KOKORO_MODELS_MIRROR: ' http://a/m , http://b/ ,' }), ['http://a/m', 'http://b/']);
  assert.deepEqual(mirrorUrlsFromEnv({}), []);
});
