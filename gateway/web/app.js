// The gateway's web page: speak with any voice or mix (played while it streams), and a live view
// of the engines. Plain ES module, no framework; it talks to the same public API as any client.

const $ = (id) => document.getElementById(id);
const KEY_STORE = 'kokoro.apiKey';
const POLL_MS = 1000;
const MAX_MIX = 8;

// Kokoro voice names: first letter the language, second the gender.
const LANGS = {
  a: 'American English', b: 'British English', e: 'Spanish', f: 'French', h: 'Hindi',
  i: 'Italian', j: 'Japanese', p: 'Brazilian Portuguese', z: 'Mandarin Chinese',
};
const LANG_ORDER = Object.keys(LANGS);
// The same languages by tag (what GET /v1/audio/voices reports as `language`, and what is sent as
// `lang_code`), for voices listed as plain names.
const LETTER_TAG = { a: 'en-us', b: 'en-gb', e: 'es', f: 'fr-fr', h: 'hi', i: 'it', j: 'ja', p: 'pt-br', z: 'zh' };
// A sample sentence per language: the text box's default follows the language picked until edited.
const SAMPLES = {
  'en-us': 'The lighthouse keeper climbed the spiral stairs every evening and watched the ships pass far out on the grey water.',
  'en-gb': 'The lighthouse keeper climbed the spiral stairs every evening and watched the ships pass far out on the grey water.',
  es: 'El farero subía cada tarde la escalera de caracol y miraba pasar los barcos a lo lejos.',
  'fr-fr': 'Chaque soir, le gardien du phare montait l\'escalier en colimaçon et regardait passer les navires au loin.',
  hi: 'हर शाम प्रकाशस्तंभ का रखवाला घुमावदार सीढ़ियाँ चढ़ता और दूर समुद्र में जहाज़ों को गुज़रते देखता।',
  it: 'Ogni sera il guardiano del faro saliva la scala a chiocciola e guardava passare le navi lontane.',
  'pt-br': 'Toda noite o faroleiro subia a escada em caracol e olhava os navios passarem ao longe.',
  ja: '灯台守は毎晩らせん階段を上り、遠くを通る船を眺めていた。',
  zh: '灯塔看守人每天傍晚都会爬上螺旋楼梯，看着远处的船只驶过灰色的海面。',
};
const EXT = { mp3: 'mp3', opus: 'opus', aac: 'aac', flac: 'flac', wav: 'wav', pcm: 'pcm' };
const MIME = { mp3: 'audio/mpeg', opus: 'audio/ogg', aac: 'audio/aac', flac: 'audio/flac', wav: 'audio/wav', pcm: 'audio/pcm' };
const PCM_RATE = 24000;

let apiKey = localStorage.getItem(KEY_STORE) ?? '';

function headers(extra = {}) {
  return apiKey ? { ...extra, authorization: `Bearer ${apiKey}` } : extra;
}

/** The message of an API error body ({error:{message}}), else the status line. */
async function errorText(res) {
  let msg = `${res.status} ${res.statusText}`;
  try {
    const j = await res.json();
    if (j?.error?.message) msg = `${res.status}: ${j.error.message}`;
  } catch { /* not JSON */ }
  if (res.status === 401) msg += ' Type the API key at the top of the page.';
  return msg;
}

const fmtMs = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`);
const fmtBytes = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(2)} MiB`);
function fmtUptime(s) {
  if (s == null) return '–';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'className') e.className = v;
    else e[k] = v;
  }
  for (const c of children) e.append(c);
  return e;
}

// ---------------------------------------------------------------- API key

function initKey() {
  const input = $('api-key');
  input.value = apiKey;
  $('key-status').textContent = apiKey ? 'saved in this browser' : '';
  $('key-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    apiKey = input.value.trim();
    if (apiKey) localStorage.setItem(KEY_STORE, apiKey);
    else localStorage.removeItem(KEY_STORE);
    $('key-status').textContent = apiKey ? 'saved in this browser' : 'cleared';
    loadVoices();
    poll();
  });
}

// ---------------------------------------------------------------- voices and mixing

/** [{id, lang, gender}] from GET /v1/audio/voices: plain names or objects with `id`. */
let voices = [];
const mix = []; // [{voice, weight}]

function normalizeVoice(v) {
  const id = typeof v === 'string' ? v : (v?.id ?? v?.name);
  if (typeof id !== 'string' || !id) return null;
  const lang = (typeof v === 'object' && (v.language_name ?? v.languageName)) || LANGS[id[0]] || 'Other';
  const tag = (typeof v === 'object' && typeof v.language === 'string' && v.language) || LETTER_TAG[id[0]] || '';
  const g = typeof v === 'object' && typeof v.gender === 'string' ? v.gender[0] : id[1];
  return { id, lang, tag, gender: g === 'm' ? 'male' : g === 'f' ? 'female' : '' };
}

async function loadVoices() {
  try {
    const res = await fetch('/v1/audio/voices', { headers: headers() });
    if (!res.ok) throw new Error(await errorText(res));
    const body = await res.json();
    const list = Array.isArray(body) ? body : (body.voices ?? body.data ?? []);
    voices = list.map(normalizeVoice).filter(Boolean);
    hideError();
  } catch (err) {
    showError(`Could not load the voices: ${err.message}`);
    voices = [];
  }
  const ids = new Set(voices.map((v) => v.id));
  if (mix.length === 0) mix.push({ voice: ids.has('af_heart') ? 'af_heart' : (voices[0]?.id ?? ''), weight: 1 });
  for (const m of mix) if (!ids.has(m.voice) && voices[0]) m.voice = voices[0].id;
  renderLangs();
  renderMix();
}

// ---------------------------------------------------------------- language

/** The languages spoken: those of the voices listed (GET /v1/audio/voices lists only those). */
function renderLangs() {
  const sel = $('lang');
  const keep = sel.value;
  const tags = new Map();
  for (const v of voices) if (v.tag && !tags.has(v.tag)) tags.set(v.tag, v.lang);
  const rank = (tag) => {
    const i = LANG_ORDER.findIndex((k) => LETTER_TAG[k] === tag);
    return i < 0 ? 99 : i;
  };
  sel.replaceChildren(el('option', { value: '', textContent: "auto (the first voice's)" }));
  for (const [tag, name] of [...tags].sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]))) {
    sel.append(el('option', { value: tag, textContent: `${name} (${tag})` }));
  }
  sel.value = tags.has(keep) ? keep : '';
}

/** The voices the selects offer: all, or the picked language's only. */
function shownVoices() {
  const tag = $('lang').value;
  if (!tag || !$('lang-only').checked) return voices;
  const own = voices.filter((v) => v.tag === tag);
  return own.length ? own : voices;
}

function onLangChange() {
  const tag = $('lang').value;
  // A voice of another language in the mix gives way to one of this language (when filtering).
  const shown = shownVoices();
  const ids = new Set(shown.map((v) => v.id));
  const used = new Set();
  for (const m of mix) {
    if (!ids.has(m.voice)) m.voice = shown.find((v) => !used.has(v.id))?.id ?? m.voice;
    used.add(m.voice);
  }
  followSample();
  renderMix();
}

/** The text box follows the language (picked, else the first voice's) while it holds a sample sentence. */
function followSample() {
  const text = $('text');
  const lang = $('lang').value || voices.find((v) => v.id === mix[0]?.voice)?.tag;
  if (lang && SAMPLES[lang] && (Object.values(SAMPLES).includes(text.value.trim()) || !text.value.trim())) text.value = SAMPLES[lang];
}

function voiceSelect(selected) {
  const sel = el('select', { className: 'voice', ariaLabel: 'voice' });
  const groups = new Map();
  for (const v of shownVoices()) {
    if (!groups.has(v.lang)) groups.set(v.lang, []);
    groups.get(v.lang).push(v);
  }
  const rank = (lang) => {
    const i = LANG_ORDER.findIndex((k) => LANGS[k] === lang);
    return i < 0 ? 99 : i;
  };
  for (const [lang, vs] of [...groups].sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]))) {
    const og = el('optgroup', { label: lang });
    for (const v of vs) og.append(el('option', { value: v.id, textContent: v.gender ? `${v.id} (${v.gender})` : v.id }));
    sel.append(og);
  }
  sel.value = selected;
  return sel;
}

/** `af_heart`, or `af_heart(2)+am_adam(1)` for a mix (the gateway normalizes the weights). */
function voiceSpec() {
  const parts = mix.filter((m) => m.voice);
  if (parts.length <= 1) return parts[0]?.voice ?? '';
  const w = (x) => String(Math.round(Math.max(0.01, Number(x) || 1) * 100) / 100);
  return parts.map((m) => `${m.voice}(${w(m.weight)})`).join('+');
}

function renderMix() {
  const box = $('mix');
  box.replaceChildren();
  mix.forEach((m, i) => {
    const sel = voiceSelect(m.voice);
    sel.addEventListener('change', () => { m.voice = sel.value; if (i === 0) followSample(); updateSpec(); });
    const weight = el('input', { type: 'number', min: '0.1', max: '100', step: '0.1', value: String(m.weight), className: 'weight', ariaLabel: 'weight', title: 'weight in the mix' });
    weight.disabled = mix.length === 1;
    weight.addEventListener('input', () => { m.weight = Number(weight.value) || 1; updateSpec(); });
    const remove = el('button', { type: 'button', textContent: '×', className: 'remove', title: 'remove from the mix', ariaLabel: 'remove voice' });
    remove.disabled = mix.length === 1;
    remove.addEventListener('click', () => { mix.splice(i, 1); renderMix(); });
    box.append(el('div', { className: 'mix-row' }, sel, el('span', { className: 'muted', textContent: 'weight' }), weight, remove));
  });
  $('add-voice').disabled = mix.length >= MAX_MIX || voices.length === 0;
  updateSpec();
}

function updateSpec() {
  $('voice-spec').textContent = voiceSpec() || '–';
  const tag = $('lang').value;
  $('lang-spec').textContent = tag ? `lang_code: ${tag}` : '';
  $('lang-spec-row').hidden = !tag;
}

// ---------------------------------------------------------------- speaking

let current = null; // {ctrl}
let lastResult = null; // {blob, format}
let playerUrl = null;

function showError(msg) {
  const e = $('error');
  e.textContent = msg;
  e.hidden = false;
}
function hideError() {
  $('error').hidden = true;
}
function setTiming(id, text) {
  $(id).textContent = text;
}

/** A WAV header around raw s16le mono 24 kHz, so the audio element can play pcm. */
function wavFromPcm(chunks, bytes) {
  const h = new DataView(new ArrayBuffer(44));
  const str = (o, s) => [...s].forEach((c, i) => h.setUint8(o + i, c.charCodeAt(0)));
  str(0, 'RIFF'); h.setUint32(4, 36 + bytes, true); str(8, 'WAVE'); str(12, 'fmt ');
  h.setUint32(16, 16, true); h.setUint16(20, 1, true); h.setUint16(22, 1, true);
  h.setUint32(24, PCM_RATE, true); h.setUint32(28, PCM_RATE * 2, true); h.setUint16(32, 2, true); h.setUint16(34, 16, true);
  str(36, 'data'); h.setUint32(40, bytes, true);
  return new Blob([h.buffer, ...chunks], { type: 'audio/wav' });
}

const once = (target, type) => new Promise((r) => target.addEventListener(type, r, { once: true }));

/** Appends to a SourceBuffer, making room (dropping what was played) when its quota is full. */
async function appendChunk(sb, player, chunk) {
  for (;;) {
    if (sb.updating) await once(sb, 'updateend');
    try {
      sb.appendBuffer(chunk);
      await once(sb, 'updateend');
      return;
    } catch (err) {
      if (err.name !== 'QuotaExceededError') throw err;
      const keepFrom = player.currentTime - 5;
      if (keepFrom > 1 && sb.buffered.length && sb.buffered.start(0) < keepFrom) {
        sb.remove(0, keepFrom);
        await once(sb, 'updateend');
      } else {
        await new Promise((r) => setTimeout(r, 500)); // wait for playback to move on
      }
    }
  }
}

function setPlayerSource(url) {
  if (playerUrl) URL.revokeObjectURL(playerUrl);
  playerUrl = url;
  $('player').src = url;
}

function startPlayback(player) {
  player.play().catch((err) => {
    if (err.name !== 'AbortError') setTiming('t-mode', `${$('t-mode').textContent} (press play: ${err.name})`);
  });
}

async function speak() {
  const input = $('text').value;
  if (!input.trim()) return showError('Type some text first.');
  current?.ctrl.abort();
  const ctrl = new AbortController();
  current = { ctrl };
  hideError();
  const format = $('format').value;
  const stream = $('stream').checked;
  const body = { model: 'kokoro', input, voice: voiceSpec(), response_format: format, speed: Number($('speed').value), stream };
  if ($('lang').value) body.lang_code = $('lang').value;
  const player = $('player');
  player.pause();
  for (const id of ['t-ttfb', 't-total', 't-duration', 't-bytes', 't-reqid', 't-mode']) setTiming(id, '–');
  setTiming('t-status', 'requesting…');
  $('speak-btn').disabled = true;
  $('stop-btn').disabled = false;
  $('download-btn').disabled = true;
  lastResult = null;

  const useMse = stream && format === 'mp3' && typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported('audio/mpeg');
  const t0 = performance.now();
  let ttfb = null;
  let bytes = 0;
  const chunks = [];
  try {
    const res = await fetch('/v1/audio/speech', {
      method: 'POST',
      headers: headers({ 'content-type': 'application/json' }),
      body: JSON.stringify(body),
      signal: ctrl.signal,
    });
    setTiming('t-reqid', res.headers.get('x-request-id') ?? '–');
    if (!res.ok) throw new Error(await errorText(res));
    setTiming('t-status', 'receiving…');

    let ms = null;
    let sb = null;
    if (useMse) {
      setTiming('t-mode', 'streamed (MediaSource)');
      ms = new MediaSource();
      setPlayerSource(URL.createObjectURL(ms));
      await once(ms, 'sourceopen');
      sb = ms.addSourceBuffer('audio/mpeg');
    } else {
      setTiming('t-mode', stream ? 'whole file (this format cannot play while streaming here)' : 'whole file');
    }
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!value || value.length === 0) continue;
      if (ttfb === null) {
        ttfb = performance.now() - t0;
        setTiming('t-ttfb', fmtMs(ttfb));
      }
      chunks.push(value);
      bytes += value.length;
      setTiming('t-bytes', fmtBytes(bytes));
      if (sb) {
        await appendChunk(sb, player, value);
        if (player.paused && chunks.length === 1) startPlayback(player);
      }
    }
    const total = performance.now() - t0;
    setTiming('t-total', fmtMs(total));
    setTiming('t-status', `done (${res.status})`);

    const blob = new Blob(chunks, { type: MIME[format] });
    lastResult = { blob, format };
    $('download-btn').disabled = false;
    if (sb) {
      if (sb.updating) await once(sb, 'updateend');
      if (ms.readyState === 'open') ms.endOfStream();
    } else {
      setPlayerSource(URL.createObjectURL(format === 'pcm' ? wavFromPcm(chunks, bytes) : blob));
      startPlayback(player);
    }
    const exact = format === 'pcm' ? bytes / (PCM_RATE * 2) : null;
    showDuration(exact, total);
  } catch (err) {
    if (err.name === 'AbortError') setTiming('t-status', 'stopped');
    else {
      setTiming('t-status', 'failed');
      showError(err.message);
    }
  } finally {
    if (current?.ctrl === ctrl) current = null;
    $('speak-btn').disabled = false;
    $('stop-btn').disabled = true;
  }
}

/** Audio duration (and how much faster than real time it was made), once the player knows it. */
function showDuration(exact, totalMs) {
  const player = $('player');
  const show = (d) => {
    if (!(d > 0) || !Number.isFinite(d)) return false;
    setTiming('t-duration', `${d.toFixed(2)} s (made at ${(d / (totalMs / 1000)).toFixed(1)}× real time)`);
    return true;
  };
  if (exact !== null && show(exact)) return;
  if (show(player.duration)) return;
  const onChange = () => { if (show(player.duration)) player.removeEventListener('durationchange', onChange); };
  player.addEventListener('durationchange', onChange);
}

function stop() {
  current?.ctrl.abort();
  $('player').pause();
}

function download() {
  if (!lastResult) return;
  const url = URL.createObjectURL(lastResult.blob);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const a = el('a', { href: url, download: `speech-${stamp}.${EXT[lastResult.format]}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------------------------------------------------------------- live view of the service

const known = new Map(); // engine id → {state, pid, restarts}
let watching = false;

function logEvent(text, kind = '') {
  const list = $('events');
  const t = new Date().toLocaleTimeString([], { hour12: false });
  list.prepend(el('li', { className: kind }, el('time', { textContent: t }), ` ${text}`));
  while (list.children.length > 50) list.lastElementChild.remove();
}

function noteChanges(rows) {
  for (const e of rows) {
    const was = known.get(e.id);
    if (was) {
      if (was.state !== e.state) {
        const why = e.state !== 'ready' && e.lastExit && e.restarts !== was.restarts ? ` (exit: ${e.lastExit})` : '';
        logEvent(`engine ${e.id}: ${was.state} → ${e.state}${why}`, e.state === 'ready' ? 'good' : 'bad');
      } else if (was.pid !== e.pid && e.pid) {
        logEvent(`engine ${e.id}: new process ${e.pid} (was ${was.pid ?? '–'})`, 'bad');
      }
      if (e.restarts > was.restarts && was.state === e.state) logEvent(`engine ${e.id}: restarted (exit: ${e.lastExit ?? '?'})`, 'bad');
    } else if (watching) {
      logEvent(`engine ${e.id} appeared (${e.state})`);
    }
    known.set(e.id, { state: e.state, pid: e.pid, restarts: e.restarts });
  }
  if (!watching) {
    watching = true;
    logEvent(`watching ${rows.length} engine${rows.length === 1 ? '' : 's'}: ${rows.map((e) => `${e.id} ${e.state}`).join(', ')}`);
  }
}

function renderEngines(rows) {
  const tbody = $('engines').tBodies[0];
  tbody.replaceChildren(...rows.map((e) => {
    const tr = el('tr', { dataset: { engineId: String(e.id), state: e.state, pid: String(e.pid ?? '') } });
    const cell = (text, className = '') => el('td', { textContent: text == null || text === '' ? '–' : String(text), className });
    tr.append(
      cell(e.id),
      el('td', {}, el('span', { className: `state state-${e.state}`, textContent: e.state })),
      cell(e.pid),
      cell(e.device ?? (e.kind === 'remote' ? 'remote' : '')),
      cell(e.inFlight, 'num'),
      cell(e.restarts, e.restarts > 0 ? 'num warn' : 'num'),
      cell(e.lastExit, e.lastExit ? 'warn' : ''),
      cell(fmtUptime(e.uptimeSeconds)),
    );
    if (e.lastError) tr.title = `last error: ${e.lastError}`;
    return tr;
  }));
}

/** Sum and per-format values of kokoro_admission_queue_depth in Prometheus text. */
function queueDepth(text) {
  let total = 0;
  const parts = [];
  for (const line of text.split('\n')) {
    const m = /^kokoro_admission_queue_depth(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[2]);
    if (!Number.isFinite(v)) continue;
    total += v;
    const fmt = /format="([^"]*)"/.exec(m[1] ?? '')?.[1];
    if (v > 0 && fmt) parts.push(`${fmt} ${v}`);
  }
  return { total, detail: parts.join(', ') };
}

function setBadge(text, kind) {
  const b = $('svc-ready');
  b.textContent = text;
  b.className = `badge ${kind}`;
  document.body.dataset.service = kind;
}

let polling = false;
async function poll() {
  if (polling) return;
  polling = true;
  try {
    const [eng, met] = await Promise.allSettled([
      fetch('/v1/engines', { headers: headers(), cache: 'no-store' }),
      fetch('/metrics', { headers: headers(), cache: 'no-store' }),
    ]);
    if (eng.status === 'rejected') {
      setBadge('unreachable', 'down');
    } else if (!eng.value.ok) {
      setBadge(eng.value.status === 401 ? 'API key needed' : `error ${eng.value.status}`, 'down');
    } else {
      const rows = (await eng.value.json()).engines ?? [];
      noteChanges(rows);
      renderEngines(rows);
      const ready = rows.filter((e) => e.state === 'ready').length;
      setBadge(`${ready}/${rows.length} engines ready`, ready === 0 ? 'down' : ready < rows.length ? 'degraded' : 'up');
      $('svc-updated').textContent = new Date().toLocaleTimeString([], { hour12: false });
    }
    if (met.status === 'fulfilled' && met.value.ok) {
      const q = queueDepth(await met.value.text());
      $('queue-total').textContent = `${q.total} waiting`;
      $('queue-detail').textContent = q.detail ? `(${q.detail})` : '';
    }
  } catch (err) {
    setBadge('unreachable', 'down');
  } finally {
    polling = false;
  }
}

// ---------------------------------------------------------------- start

function init() {
  initKey();
  const speed = $('speed');
  speed.addEventListener('input', () => { $('speed-out').textContent = Number(speed.value).toFixed(2); });
  $('add-voice').addEventListener('click', () => {
    if (mix.length >= MAX_MIX) return;
    const used = new Set(mix.map((m) => m.voice));
    const shown = shownVoices();
    mix.push({ voice: shown.find((v) => !used.has(v.id))?.id ?? shown[0]?.id ?? '', weight: 1 });
    renderMix();
  });
  $('lang').addEventListener('change', onLangChange);
  $('lang-only').addEventListener('change', onLangChange);
  $('speak-btn').addEventListener('click', speak);
  $('stop-btn').addEventListener('click', stop);
  $('download-btn').addEventListener('click', download);
  $('text').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) speak();
  });
  loadVoices();
  poll();
  setInterval(poll, POLL_MS);
}

init();
