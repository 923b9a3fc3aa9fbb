// The web page's routes over inject(): / and /web serve the page, the assets their content
// types, all with revalidation headers and 304s, and none of them needs the API key.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { WEB_DIR } from '../../gateway/http/routes/web.js';
import { testApp } from '../http/helpers.js';

describe('web page routes', () => {
  const { app } = testApp({ env: { API_KEYS: 'k1' } });

  for (const [path, file, type] of [
    ['/', 'index.html', /^text\/html; charset=utf-8$/],
    ['/web', 'index.html', /^text\/html; charset=utf-8$/],
    ['/web/app.js', 'app.js', /^text\/javascript; charset=utf-8$/],
    ['/web/style.css', 'style.css', /^text\/css; charset=utf-8$/],
  ] as const) {
    it(`GET ${path} without a key: ${file}, revalidated, 304 when unchanged`, async () => {
      const res = await app.inject({ method: 'GET', url: path });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), type);
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.equal(res.body, readFileSync(join(WEB_DIR, file), 'utf8'));
      const etag = String(res.headers.etag);
      assert.match(etag, /^"[\w-]+"$/);
      const again = await app.inject({ method: 'GET', url: path, headers: { 'if-none-match': etag } });
      assert.equal(again.statusCode, 304);
      assert.equal(again.body, '');
      const head = await app.inject({ method: 'HEAD', url: path });
      assert.equal(head.statusCode, 200);
    });
  }

  it('the page has a strict content security policy', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.match(String(res.headers['content-security-policy']), /script-src 'self'/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  it('other paths under /web and the API still need the key', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/web/nope.js' })).statusCode, 401);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/audio/voices' })).statusCode, 401);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/audio/voices', headers: { authorization: 'Bearer k1' } })).statusCode, 200);
  });
});
