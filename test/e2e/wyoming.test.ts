// Home Assistant's protocol against the real gateway (real model, two CPU engines), with the
// `wyoming` package from PyPI as the client (test/e2e/wyoming_client.py): describe lists the
// voices with languages; synthesize gives 24 kHz 16-bit mono PCM equal to the same text's pcm
// over HTTP; the streaming form speaks all the text in one audio-start … audio-stop; an unknown
// voice is an error event. The client runs in a venv under .cache/ (created on first use).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, repoRoot, speech, startGateway, type GatewayProcess } from '../support/gateway-process.js';

const WYOMING_VERSION = '1.10.2';
const VENV = join(repoRoot, '.cache', 'wyoming-venv');
const PYTHON = join(VENV, 'bin', 'python');
const CLIENT = join(repoRoot, 'test', 'e2e', 'wyoming_client.py');

const TEXT = 'The kettle clicked off, and the kitchen filled with the smell of fresh coffee.';
const PARTS = ['Good evening. The lights in the', ' living room are now off. I also locked', ' the front door for you.'];

/** The venv with the pinned wyoming package; a reason when it cannot be had. */
function ensureClient(): string | undefined {
  const ok = () => spawnSync(PYTHON, ['-c', `import importlib.metadata as m; assert m.version("wyoming") == "${WYOMING_VERSION}"`]).status === 0;
  if (existsSync(PYTHON) && ok()) return undefined;
  const venv = spawnSync('python3', ['-m', 'venv', VENV], { encoding: 'utf8' });
  if (venv.status !== 0) return `python3 -m venv failed: ${(venv.stderr || venv.error?.message || '').trim().slice(-300)}`;
  const pip = spawnSync(PYTHON, ['-m', 'pip', 'install', '--quiet', `wyoming==${WYOMING_VERSION}`], { encoding: 'utf8', timeout: 300_000 });
  if (pip.status !== 0 || !ok()) return `pip install wyoming==${WYOMING_VERSION} failed: ${(pip.stderr || pip.error?.message || '').trim().slice(-300)}`;
  return undefined;
}

const missing = ensureClient();
if (missing && process.env.CI === 'true') throw new Error(`the Wyoming e2e test needs its Python client: ${missing}`);

interface Audio {
  types: string[];
  formats: Array<[number, number, number]>;
  error: { text: string; code: string | null } | null;
  closed: boolean;
  bytes: number;
}
interface ClientResult {
  info: { tts: Array<{ name: string; streaming: boolean; voices: Array<{ name: string; languages: string[]; description: string }> }> };
  synthesize: Audio;
  stream: Audio;
  unknown_voice: Audio;
}

describe('wyoming: Home Assistant\'s protocol with the real wyoming client', { timeout: 900_000, skip: missing }, () => {
  let gw: GatewayProcess | undefined;
  let wyPort = 0;
  let result: ClientResult;
  let pcm: Buffer;
  const dir = mkdtempSync(join(tmpdir(), 'wyoming-e2e-'));

  before(async () => {
    wyPort = await freePort();
    gw = await startGateway({ env: { WYOMING_PORT: String(wyPort), WYOMING_HOST: '127.0.0.1', LOG_LEVEL: 'warn' } });
    const out = join(dir, 'synthesize.pcm');
    const r = spawnSync(PYTHON, [CLIENT, '--port', String(wyPort), '--text', TEXT, '--parts', JSON.stringify(PARTS), '--pcm-out', out], {
      encoding: 'utf8', timeout: 600_000,
    });
    assert.equal(r.status, 0, `the client failed:\n${r.stderr}\n${r.stdout}\n${gw.logTail(40)}`);
    result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ClientResult;
    pcm = readFileSync(out);
  }, { timeout: 700_000 });

  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await gw?.stop(20_000);
  }, { timeout: 60_000 });

  it('describe → info: one streaming TTS program, the voices with their languages', () => {
    const tts = result.info.tts;
    assert.equal(tts.length, 1);
    assert.equal(tts[0]!.name, 'kokoro');
    assert.equal(tts[0]!.streaming, true);
    const voices = new Map(tts[0]!.voices.map((v) => [v.name, v]));
    assert.ok(voices.size >= 10, `${voices.size} voices`);
    assert.deepEqual(voices.get('af_heart')?.languages, ['en-US']);
    assert.deepEqual(voices.get('bf_emma')?.languages, ['en-GB']);
    assert.deepEqual(voices.get('ef_dora')?.languages, ['es-ES']);
    // Every voice, with the tag of the language its prefix names.
    for (const v of voices.values()) assert.ok(v.languages.length === 1 && /^(en-US|en-GB|es-ES|fr-FR|hi-IN|it-IT|pt-BR|ja-JP|zh-CN)$/.test(v.languages[0]!), `${v.name}: ${v.languages}`);
    assert.deepEqual(voices.get('zf_xiaobei')?.languages, ['zh-CN']);
    assert.deepEqual(voices.get('jf_alpha')?.languages, ['ja-JP']);
  });

  it('synthesize → audio-start, audio-chunk…, audio-stop: 24 kHz 16-bit mono, the same PCM as over HTTP', async () => {
    const s = result.synthesize;
    assert.equal(s.error, null);
    assert.deepEqual(s.types, ['audio-start', 'audio-stop']);
    assert.deepEqual(s.formats, [[24000, 2, 1]]);
    const seconds = s.bytes / 48_000;
    assert.ok(seconds > 2.5 && seconds < 12, `${seconds} s for ${TEXT.length} characters`);
    const http = await speech(gw!.url, { input: TEXT, voice: 'af_heart', response_format: 'pcm' }, { timeoutMs: 180_000 });
    assert.equal(http.status, 200);
    assert.ok(Math.abs(http.body.length - pcm.length) <= 2 * 8, `wyoming ${pcm.length} bytes, http ${http.body.length}`);
  });

  it('the streaming form (three pieces, the compatibility synthesize ignored) → all the text in one audio-start … audio-stop, then synthesize-stopped', () => {
    const s = result.stream;
    assert.equal(s.error, null);
    assert.deepEqual(s.types, ['audio-start', 'audio-stop', 'synthesize-stopped']);
    assert.deepEqual(s.formats, [[24000, 2, 1]]);
    const seconds = s.bytes / 48_000;
    // ~100 characters of speech: well over 4 s, and not twice (the ignored synthesize would double it).
    assert.ok(seconds > 4 && seconds < 14, `${seconds} s`);
  });

  it('an unknown voice → an error event, then the connection closes', () => {
    const s = result.unknown_voice;
    assert.deepEqual(s.types, ['error']);
    assert.equal(s.error?.code, 'invalid_voice');
    assert.match(s.error!.text, /zz_nobody/);
    assert.equal(s.closed, true);
    assert.equal(s.bytes, 0);
  });
});
