// The web page in a real headless browser (Debian's chromium over the DevTools protocol) against
// a real gateway with two engines, the real model and an API key: the page loads without console
// errors, speaks (the audio element plays a non-zero duration, streamed through MediaSource for
// mp3), mixes voices and downloads, picks a language (lang_code, voices filtered), and its engine view shows both engines, then an engine we
// SIGKILL going down and coming back.
//
// Without chromium the test is skipped (with the reason printed), except under CI=true where it
// fails. WEB_SCREENSHOT=<file.png> also saves a screenshot of the page (the README's picture).
import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findChromium, launchChromium, type Browser, type Page } from '../support/chromium.js';
import { sleep, startGateway, type GatewayProcess } from '../support/gateway-process.js';

const KEY = 'web-test-key-1234';
const TEXT = 'Hello from the web page. The quick brown fox jumps over the lazy dog.';
const chromium = findChromium();
const ci = process.env.CI === 'true';

if (!chromium && ci) {
  describe('web page in headless chromium', () => {
    it('needs chromium', () => {
      assert.fail('chromium is not installed (CI=true): apt-get install -y --no-install-recommends chromium, or set CHROMIUM_BIN');
    });
  });
} else if (!chromium) {
  console.log('# web page test skipped: no chromium on PATH (apt-get install chromium, or set CHROMIUM_BIN)');
  describe('web page in headless chromium', () => {
    it('skipped: chromium is not installed', { skip: 'chromium is not installed' }, () => {});
  });
} else {
  describe('web page in headless chromium', { timeout: 240_000 }, () => {
    let gw: GatewayProcess | undefined;
    let browser: Browser | undefined;
    let page: Page;

    before(async () => {
      [gw, browser] = await Promise.all([
        startGateway({
          engines: 2,
          apiKey: KEY,
          env: { API_KEYS: KEY, HEALTH_INTERVAL_MS: '500', LOG_LEVEL: 'warn' },
        }),
        launchChromium(chromium),
      ]);
      page = await browser.newPage();
      // The key as the user would have saved it, before the page's script runs.
      await page.send('Page.addScriptToEvaluateOnNewDocument', { source: `localStorage.setItem('kokoro.apiKey', ${JSON.stringify(KEY)})` });
      await page.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: browser.dir, eventsEnabled: true }).catch(() =>
        browser!.cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: browser!.dir, eventsEnabled: true }));
    }, { timeout: 180_000 });

    after(async () => {
      await browser?.close();
      const r = await gw?.stop(20_000);
      if (r) assert.deepEqual(r.survivors, [], 'engines outlived the gateway');
    }, { timeout: 60_000 });

    it('serves the page and its assets without a key; the API still needs one', async () => {
      for (const path of ['/', '/web']) {
        const res = await fetch(gw!.url + path);
        assert.equal(res.status, 200, path);
        assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
        assert.match(await res.text(), /<script type="module" src="\/web\/app.js">/);
      }
      const js = await fetch(gw!.url + '/web/app.js');
      assert.equal(js.status, 200);
      assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
      assert.equal((await fetch(gw!.url + '/v1/engines')).status, 401);
    });

    it('without a saved key the page asks for one; typing it and Save loads everything', async () => {
      const bare = await browser!.newPage();
      try {
        await bare.goto(gw!.url + '/web');
        await bare.waitFor(`document.getElementById('svc-ready').textContent === 'API key needed'`, 10_000, 'the key prompt');
        await bare.waitFor(`/401: .*Type the API key/.test(document.getElementById('error').textContent)`, 10_000, 'the 401 message');
        await bare.evaluate(`(() => {
          document.getElementById('api-key').value = ${JSON.stringify(KEY)};
          document.getElementById('key-form').requestSubmit();
          return true; })()`);
        await bare.waitFor(`document.querySelectorAll('#engines tbody tr').length === 2`, 10_000, 'the engines after Save');
        await bare.waitFor(`document.querySelectorAll('#mix select option').length > 10 && document.getElementById('error').hidden`, 10_000, 'the voices after Save');
        assert.equal(await bare.evaluate(`localStorage.getItem('kokoro.apiKey')`), KEY);
        // The only errors: the browser's own log lines for the 401 answers.
        assert.deepEqual(bare.errors.filter((e) => !/status of 401/.test(e)), []);
      } finally {
        await bare.close();
      }
    });

    it('loads without console errors and shows both engines ready', async () => {
      await page.goto(gw!.url + '/');
      await page.waitFor(`document.querySelectorAll('#engines tbody tr[data-state="ready"]').length === 2`, 15_000, 'two ready engines in the view');
      await page.waitFor(`document.querySelectorAll('#mix select option').length > 10`, 10_000, 'the voice list');
      assert.equal(await page.evaluate(`document.querySelector('#mix select').value`), 'af_heart');
      assert.deepEqual(
        await page.evaluate(`[...document.querySelectorAll('#mix optgroup')].map((g) => g.label)`),
        // The languages spoken, from the voices listed.
        ['American English', 'British English', 'Spanish', 'French', 'Hindi', 'Italian', 'Japanese', 'Brazilian Portuguese', 'Mandarin Chinese'],
      );
      assert.match(await page.evaluate<string>(`document.getElementById('queue-total').textContent`), /^\d+ waiting$/);
      await sleep(1500); // a few polls more
      assert.deepEqual(page.errors, [], 'console errors on load');
    });

    it('speaks: mp3 streams into MediaSource, the audio element plays', { timeout: 90_000 }, async () => {
      const mse = await page.evaluate<boolean>(`typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported('audio/mpeg')`);
      await page.evaluate(`document.getElementById('text').value = ${JSON.stringify(TEXT)}; document.getElementById('speak-btn').click(); true`);
      await page.waitFor(`document.getElementById('t-status').textContent.startsWith('done')`, 60_000, 'the request to finish', `document.getElementById('timing').innerText + ' ' + document.getElementById('error').innerText`);
      const played = await page.waitFor<{ duration: number; currentTime: number; played: number }>(
        `(() => { const a = document.getElementById('player');
          return a.duration > 0 && Number.isFinite(a.duration) && a.played.length > 0 && a.currentTime > 0.3
            && { duration: a.duration, currentTime: a.currentTime, played: a.played.length }; })()`,
        20_000, 'the audio element to play',
        `(() => { const a = document.getElementById('player'); return { d: a.duration, t: a.currentTime, paused: a.paused, err: a.error && a.error.message, timing: document.getElementById('timing').innerText }; })()`,
      );
      assert.ok(played.duration > 2, `audio duration ${played.duration}`);
      const timing = await page.evaluate<Record<string, string>>(
        `Object.fromEntries(['t-mode', 't-ttfb', 't-total', 't-duration', 't-reqid'].map((id) => [id, document.getElementById(id).textContent]))`,
      );
      if (mse) assert.equal(timing['t-mode'], 'streamed (MediaSource)');
      else console.log(`# this chromium has no MediaSource audio/mpeg: played as a whole file`);
      assert.match(timing['t-ttfb']!, /\d+ (ms|s)$/);
      assert.match(timing['t-total']!, /\d+ (ms|s)$/);
      assert.match(timing['t-duration']!, /^\d+\.\d+ s/);
      assert.notEqual(timing['t-reqid'], '–');
      console.log(`# played ${played.duration.toFixed(2)} s of audio (${timing['t-mode']}); first byte ${timing['t-ttfb']}, total ${timing['t-total']}`);
      assert.deepEqual(page.errors, [], 'console errors while speaking');
    });

    it('mixes two voices with weights, plays wav, and downloads it', { timeout: 90_000 }, async () => {
      await page.evaluate(`(() => {
        document.getElementById('add-voice').click();
        const sels = document.querySelectorAll('#mix select');
        sels[1].value = 'am_adam'; sels[1].dispatchEvent(new Event('change'));
        const ws = document.querySelectorAll('#mix .weight');
        ws[0].value = '2'; ws[0].dispatchEvent(new Event('input'));
        document.getElementById('format').value = 'wav';
        document.getElementById('stream').checked = false;
        return true; })()`);
      assert.equal(await page.evaluate(`document.getElementById('voice-spec').textContent`), 'af_heart(2)+am_adam(1)');
      await page.evaluate(`document.getElementById('text').value = 'Two voices, mixed.'; document.getElementById('speak-btn').click(); true`);
      await page.waitFor(`document.getElementById('t-status').textContent.startsWith('done')`, 60_000, 'the mixed request', `document.getElementById('timing').innerText + ' ' + document.getElementById('error').innerText`);
      await page.waitFor(`(() => { const a = document.getElementById('player'); return a.duration > 0 && a.played.length > 0 && a.currentTime > 0; })()`, 20_000, 'the wav to play');
      await page.evaluate(`document.getElementById('download-btn').click(); true`);
      const deadline = Date.now() + 10_000;
      let file: string | undefined;
      while (!file && Date.now() < deadline) {
        file = readdirSync(browser!.dir).find((f) => /^speech-.*\.wav$/.test(f));
        if (!file) await sleep(200);
      }
      assert.ok(file, `no downloaded .wav in ${browser!.dir}`);
      assert.ok(statSync(join(browser!.dir, file)).size > 44, 'the downloaded wav is empty');
      assert.deepEqual(page.errors, [], 'console errors while mixing');
    });

    it('the language picker: auto plus every spoken language; zh filters the voices and sends lang_code', { timeout: 90_000 }, async () => {
      type V = { id: string; language: string };
      const listed = ((await (await fetch(`${gw!.url}/v1/audio/voices`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { voices: V[] }).voices;
      const spoken = [...new Set(listed.map((v) => v.language))];
      const options = await page.evaluate<string[]>(`[...document.querySelectorAll('#lang option')].map((o) => o.value)`);
      assert.equal(options[0], '', 'auto first');
      assert.deepEqual([...options.slice(1)].sort(), [...spoken].sort(), 'one option per language of the voices listed');
      assert.ok(options.includes('zh'));
      // Record what the page sends.
      await page.evaluate(`(() => { window.__sent = []; const f = window.fetch;
        window.fetch = (u, o) => { if (String(u).includes('/v1/audio/speech')) window.__sent.push(JSON.parse(o.body)); return f(u, o); };
        const l = document.getElementById('lang'); l.value = 'zh'; l.dispatchEvent(new Event('change'));
        document.getElementById('text').value = '你好，今天天气很好，我们一起去公园散步吧。';
        return true; })()`);
      const zhVoices = listed.filter((v) => v.language === 'zh').map((v) => v.id).sort();
      const offered = await page.evaluate<string[][]>(`[...document.querySelectorAll('#mix select')].map((s) => [...s.options].map((o) => o.value))`);
      for (const o of offered) assert.deepEqual([...o].sort(), zhVoices, 'only zh voices offered');
      const mixVoices = await page.evaluate<string[]>(`[...document.querySelectorAll('#mix select')].map((s) => s.value)`);
      assert.ok(mixVoices.length >= 1 && mixVoices.every((v) => zhVoices.includes(v)), `the mix became zh voices: ${mixVoices.join(', ')}`);
      assert.equal(await page.evaluate(`document.getElementById('lang-spec').textContent`), 'lang_code: zh');
      await page.evaluate(`document.getElementById('speak-btn').click(); true`);
      await page.waitFor(`document.getElementById('t-status').textContent.startsWith('done')`, 60_000, 'the zh request', `document.getElementById('timing').innerText + ' ' + document.getElementById('error').innerText`);
      const sent = await page.evaluate<Array<{ lang_code?: string; voice: string }>>(`window.__sent`);
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.lang_code, 'zh');
      assert.match(sent[0]!.voice, /^z[fm]_/);
      const played = await page.waitFor<number>(`(() => { const a = document.getElementById('player'); return a.duration > 0 && a.played.length > 0 && a.currentTime > 0 && a.duration; })()`, 20_000, 'the zh audio to play');
      assert.ok(played > 2 && played < 12, `zh audio ${played} s for 20 characters`);
      // Unfiltered: every voice again; back to auto: no lang_code.
      await page.evaluate(`(() => { const c = document.getElementById('lang-only'); c.checked = false; c.dispatchEvent(new Event('change')); return true; })()`);
      assert.ok(await page.evaluate<boolean>(`[...document.querySelectorAll('#mix select')[0].options].some((o) => o.value === 'af_heart')`));
      await page.evaluate(`(() => { const c = document.getElementById('lang-only'); c.checked = true;
        const l = document.getElementById('lang'); l.value = 'en-us'; l.dispatchEvent(new Event('change'));
        l.value = ''; l.dispatchEvent(new Event('change')); return true; })()`);
      assert.equal(await page.evaluate(`document.getElementById('lang-spec-row').hidden`), true);
      assert.ok(await page.evaluate<boolean>(`[...document.querySelectorAll('#mix select')].every((s) => s.value[0] === 'a')`), 'back to American voices');
      assert.deepEqual(page.errors, [], 'console errors while picking a language');
    });

    it('the engine view shows a SIGKILLed engine go down and come back', { timeout: 120_000 }, async () => {
      const rows = await gw!.engines();
      const victim = rows.find((e) => e.state === 'ready' && e.pid)!;
      assert.ok(victim, 'no ready engine to kill');
      const row = `document.querySelector('#engines tbody tr[data-engine-id=${JSON.stringify(String(victim.id))}]')`;
      process.kill(victim.pid!, 'SIGKILL');
      const down = await page.waitFor<string>(`(() => { const r = ${row}; return r && r.dataset.state !== 'ready' && r.dataset.state; })()`, 10_000, `engine ${victim.id} shown not ready`);
      console.log(`# engine ${victim.id} (pid ${victim.pid}) killed; the page shows it ${down}`);
      await page.waitFor(`(() => { const r = ${row}; return r && r.dataset.state === 'ready' && r.dataset.pid !== ${JSON.stringify(String(victim.pid))}; })()`, 90_000, `engine ${victim.id} ready again with a new pid`);
      const events = await page.evaluate<string>(`document.getElementById('events').innerText`);
      assert.match(events, new RegExp(`engine ${victim.id}: ready → \\w+`), events);
      assert.match(events, new RegExp(`engine ${victim.id}: \\w+ → ready`), events);
      const restarts = await page.evaluate<string>(`${row}.children[5].textContent`);
      assert.ok(Number(restarts) >= 1, `restarts shown: ${restarts}`);
      assert.deepEqual(page.errors, [], 'console errors while an engine restarted');

      const shot = process.env.WEB_SCREENSHOT;
      if (shot) {
        // A streamed mp3 mix after the engine's fall and return (in the event list).
        await page.evaluate(`(() => {
          document.getElementById('format').value = 'mp3';
          document.getElementById('stream').checked = true;
          document.getElementById('text').value = ${JSON.stringify(TEXT)};
          document.getElementById('speak-btn').click();
          return true; })()`);
        await page.waitFor(`document.getElementById('t-status').textContent.startsWith('done') && document.getElementById('t-duration').textContent !== '–'`, 60_000, 'the screenshot request');
        await sleep(1000);
        await page.evaluate(`document.getElementById('player').pause(); true`);
        writeFileSync(shot, await page.screenshot(1280, 860));
        console.log(`# screenshot: ${shot}`);
      }
    });
  });
}
