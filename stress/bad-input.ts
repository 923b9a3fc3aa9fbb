// Hostile and malformed requests: each must get its expected 4xx (OpenAI-shaped body), never a
// 5xx, a crash or a hang. A few inputs are speakable in part; those may be 200 and must decode.
import { request } from './http.js';
import { rawPost } from './raw-http.js';
import { isOpenAIErrorBody } from './verify/rejection.js';
import { decodeAudio } from './verify/decode.js';

export interface BadInputCase {
  name: string;
  /** Raw body, or an object to serialise. */
  body: string | Buffer | Record<string, unknown>;
  contentType?: string;
  method?: string;
  /** Statuses that are right for this case. 200 means the text is spoken (audio must decode). */
  expect: number[];
}

export interface BadInputResult {
  name: string;
  status: number;
  ok: boolean;
  detail?: string;
  ms: number;
}

const base = { model: 'kokoro', voice: 'af_heart', response_format: 'mp3' };
const speak = (over: Record<string, unknown>) => ({ ...base, input: 'Checking one request.', ...over });

export function badInputCases(maxInputChars = 100_000, bodyLimitBytes = 1 << 20, o: { ownGateway?: boolean } = {}): BadInputCase[] {
  // Ours only: our gateway refuses audio longer than MAX_AUDIO_SECONDS (3 h) up front (another
  // server may legitimately spend hours making it), and, as every Kokoro language is spoken, a
  // mix of voices of two languages without lang_code (another server may read it either way).
  const ours: BadInputCase[] = o.ownGateway
    ? [
        { name: 'audio longer than MAX_AUDIO_SECONDS', body: speak({ input: 'Read this slowly. '.repeat(5000), speed: 0.25 }), expect: [413] },
        { name: 'voices of two languages, no lang_code', body: speak({ voice: 'af_heart+jf_alpha' }), expect: [400] },
        { name: 'lang_code of no Kokoro language', body: speak({ lang_code: 'xx' }), expect: [400] },
      ]
    : [];
  return [
    ...ours,
    { name: 'malformed JSON', body: '{"model":"kokoro","input":"hi",', expect: [400] },
    { name: 'JSON array body', body: '[1,2,3]', expect: [400] },
    { name: 'JSON string body', body: '"hello"', expect: [400] },
    { name: 'empty body', body: '', expect: [400] },
    { name: 'text/plain body', body: 'hello there', contentType: 'text/plain', expect: [415, 400] },
    { name: 'input is a number', body: speak({ input: 42 }), expect: [400] },
    { name: 'input is null', body: speak({ input: null }), expect: [400] },
    { name: 'input missing', body: { ...base }, expect: [400] },
    { name: 'voice is an array', body: speak({ voice: ['af_heart'] }), expect: [400] },
    { name: 'speed is a string', body: speak({ speed: 'fast' }), expect: [400] },
    { name: 'stream is a string', body: speak({ stream: 'yes' }), expect: [400] },
    { name: 'unknown model', body: speak({ model: 'no-such-model' }), expect: [400, 404] },
    { name: 'empty input', body: speak({ input: '' }), expect: [400] },
    { name: 'whitespace input', body: speak({ input: ' \n\t ' }), expect: [400] },
    { name: 'over-long input', body: speak({ input: 'a'.repeat(maxInputChars + 1) }), expect: [400, 413] },
    { name: 'huge body', body: Buffer.alloc(bodyLimitBytes * 2 + 1024, 0x20), expect: [413] },
    { name: 'unknown voice', body: speak({ voice: 'zz_nobody' }), expect: [400] },
    { name: 'voice path ../', body: speak({ voice: '../../../etc/passwd' }), expect: [400] },
    { name: 'voice absolute path', body: speak({ voice: '/etc/passwd' }), expect: [400] },
    { name: 'voice escape inside mix', body: speak({ voice: 'af_heart+../config' }), expect: [400] },
    { name: 'voice backslash path', body: speak({ voice: '..\\..\\voices\\af_heart' }), expect: [400] },
    { name: 'voice with NUL', body: speak({ voice: 'af_heart\u0000.bin' }), expect: [400] },
    { name: 'voice with newline', body: speak({ voice: 'af_\nheart' }), expect: [400] },
    { name: 'voice bad weight', body: speak({ voice: 'af_heart(-1)+am_adam(0)' }), expect: [400] },
    { name: 'NUL in input', body: speak({ input: 'hello\u0000world' }), expect: [400] },
    // Controls other than NUL are noise around speakable words: spoken (200) or refused (400).
    { name: 'control chars in input', body: speak({ input: 'bell\u0007 escape\u001b[31m red text.' }), expect: [200, 400] },
    // Emoji and right-to-left text around English words: the English is spoken; a server may also refuse.
    { name: 'emoji and RTL text', body: speak({ input: 'Hello 👋🏽 world \u200fשלום مرحبا\u200e again.' }), expect: [200, 400] },
    { name: 'speed zero', body: speak({ speed: 0 }), expect: [400] },
    { name: 'speed negative', body: speak({ speed: -1 }), expect: [400] },
    { name: 'speed too high', body: speak({ speed: 50 }), expect: [400] },
    { name: 'speed overflow', body: '{"model":"kokoro","input":"hi","voice":"af_heart","speed":1e999}', expect: [400] },
    { name: 'unknown format', body: speak({ response_format: 'wma' }), expect: [400] },
    { name: 'format wrong type', body: speak({ response_format: 3 }), expect: [400] },
    { name: 'sse without streaming', body: speak({ stream: false, stream_format: 'sse' }), expect: [400] },
    { name: 'unknown stream_format', body: speak({ stream_format: 'websocket' }), expect: [400] },
    { name: 'GET on speech route', body: '', method: 'GET', expect: [405, 404] },
  ];
}

export async function runBadInput(baseUrl: URL, cases: BadInputCase[], timeoutMs: number): Promise<BadInputResult[]> {
  const results: BadInputResult[] = [];
  // Two at a time: they are cheap, but the 200 cases synthesize.
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      results.push(await runOne(baseUrl, c, timeoutMs));
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

async function runOne(baseUrl: URL, c: BadInputCase, timeoutMs: number): Promise<BadInputResult> {
  const t0 = performance.now();
  const body = typeof c.body === 'string' || Buffer.isBuffer(c.body) ? c.body : JSON.stringify(c.body);
  const method = c.method ?? 'POST';
  if (Buffer.isBuffer(body) && body.length > 1 << 20) {
    const x = await rawPost(baseUrl, '/v1/audio/speech', body, timeoutMs);
    const ms = performance.now() - t0;
    if (!c.expect.includes(x.status)) return { name: c.name, status: x.status, ok: false, detail: `expected ${c.expect.join('|')}, got ${x.status || x.error}`, ms };
    const shape = isOpenAIErrorBody(x.body);
    return { name: c.name, status: x.status, ok: shape.ok, detail: shape.problem, ms };
  }
  const r = await request({
    method,
    url: new URL('/v1/audio/speech', baseUrl),
    headers: method === 'GET' ? {} : { 'content-type': c.contentType ?? 'application/json' },
    body: method === 'GET' ? undefined : body,
    timeoutMs,
  });
  const ms = performance.now() - t0;
  const out = (ok: boolean, detail?: string): BadInputResult => ({ name: c.name, status: r.status, ok, detail, ms });
  if (r.status === 0) return out(false, `no response: ${r.error}`);
  if (!c.expect.includes(r.status)) return out(false, `expected ${c.expect.join('|')}, got ${r.status}: ${r.body.toString('utf8').slice(0, 160)}`);
  if (r.status === 200) {
    if (!r.complete) return out(false, `200 but cut: ${r.error}`);
    const decoded = await decodeAudio(r.body, 'mp3');
    if (decoded.errors.length || decoded.samples.length === 0) return out(false, `200 but audio does not decode: ${decoded.errors[0] ?? 'empty'}`);
    return out(true, `spoken, ${(decoded.samples.length / 24000).toFixed(2)} s`);
  }
  const shape = isOpenAIErrorBody(r.body.toString('utf8'));
  return shape.ok ? out(true) : out(false, `${r.status} body: ${shape.problem}`);
}
