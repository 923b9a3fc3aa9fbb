import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { cacheRoot, defaultModelsDir, devModelsDir, DEV_MIRROR, mirrorUrlsFromEnv, resolveModelsDir, runtimeCacheDir } from '../../models/paths.js';

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

test('KOKORO_CACHE_DIR moves the whole cache: runtime copy, stamps and the default models dir', () => {
  const env = { KOKORO_CACHE_DIR: 'rel/cache', XDG_CACHE_HOME: '/x' };
  assert.equal(cacheRoot(env), resolve('rel/cache'));
  assert.equal(runtimeCacheDir(env), join(resolve('rel/cache'), 'runtime'));
  assert.equal(defaultModelsDir(env), join(resolve('rel/cache'), 'models'));
  assert.equal(cacheRoot({ XDG_CACHE_HOME: '/x', KOKORO_CACHE_DIR: '  ' }), '/x/kokoro-gateway');
});

test('dev tools prefer KOKORO_MODELS_DIR, then the mirror beside the repo, then the server dir', () => {
  assert.equal(devModelsDir({ KOKORO_MODELS_DIR: '/m' }), '/m');
  const expected = existsSync(DEV_MIRROR) ? DEV_MIRROR : resolveModelsDir({ XDG_CACHE_HOME: '/x' });
  assert.equal(devModelsDir({ XDG_CACHE_HOME: '/x' }), expected);
});
