// A real headless browser for the web page tests: Debian's chromium as a child process, driven
// over the DevTools protocol (one WebSocket to the browser, undici's client, flattened sessions).
// The browser and every process it started are stopped by PID in close(), and its profile
// directory removed.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { WebSocket } from 'undici';
import { alive, childrenOf, sleep, startTime } from '../../harness/procs.js';

/** The chromium binary: CHROMIUM_BIN, else `chromium` or `chromium-browser` on PATH. */
export function findChromium(): string | undefined {
  const own = process.env.CHROMIUM_BIN?.trim();
  if (own) return own;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const p = join(dir, name);
      try {
        accessSync(p, constants.X_OK);
        return p;
      } catch { /* next */ }
    }
  }
  return undefined;
}

interface Pending {
  resolve: (v: any) => void;
  reject: (e: Error) => void;
  method: string;
}

type Listener = (params: any, sessionId?: string) => void;

export class Cdp {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Listener[]>();

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data));
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p.resolve(msg.result);
      } else if (msg.method) {
        for (const fn of this.listeners.get(msg.method) ?? []) fn(msg.params, msg.sessionId);
      }
    });
    ws.addEventListener('close', () => {
      for (const p of this.pending.values()) p.reject(new Error(`${p.method}: DevTools connection closed`));
      this.pending.clear();
    });
  }

  static connect(url: string): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.addEventListener('open', () => resolve(new Cdp(ws)), { once: true });
      ws.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)), { once: true });
    });
  }

  send<T = any>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  on(method: string, fn: Listener): void {
    const list = this.listeners.get(method) ?? [];
    list.push(fn);
    this.listeners.set(method, list);
  }

  close(): void {
    this.ws.close();
  }
}

/** One page (tab) of the browser. */
export class Page {
  /** Console errors, uncaught exceptions and network/log errors, as text. */
  readonly errors: string[] = [];
  readonly console: string[] = [];

  constructor(readonly cdp: Cdp, readonly sessionId: string, readonly targetId: string) {
    cdp.on('Runtime.consoleAPICalled', (p, s) => {
      if (s !== sessionId) return;
      const text = `${p.type}: ${(p.args ?? []).map((a: any) => a.value ?? a.description ?? a.type).join(' ')}`;
      this.console.push(text);
      if (p.type === 'error' || p.type === 'assert') this.errors.push(`console.${text}`);
    });
    cdp.on('Runtime.exceptionThrown', (p, s) => {
      if (s !== sessionId) return;
      const d = p.exceptionDetails;
      this.errors.push(`exception: ${d?.exception?.description ?? d?.text} at ${d?.url}:${d?.lineNumber}`);
    });
    cdp.on('Log.entryAdded', (p, s) => {
      if (s !== sessionId) return;
      if (p.entry.level === 'error') this.errors.push(`log (${p.entry.source}): ${p.entry.text} ${p.entry.url ?? ''}`);
    });
  }

  send<T = any>(method: string, params: object = {}): Promise<T> {
    return this.cdp.send<T>(method, params, this.sessionId);
  }

  /** Evaluates an expression in the page (promises awaited) and returns its value. */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true, userGesture: true });
    if (r.exceptionDetails) throw new Error(`evaluate(${expression.slice(0, 80)}): ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Polls `expression` until it is truthy; throws with `describe`'s value on timeout. */
  async waitFor<T = unknown>(expression: string, timeoutMs: number, what: string, describe = 'document.body.innerText.slice(0, 2000)'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.evaluate<T>(expression);
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; page: ${JSON.stringify(await this.evaluate(describe).catch((e: Error) => e.message))}`);
      await sleep(200);
    }
  }

  /** Navigates and waits for the load event. */
  async goto(url: string, timeoutMs = 30_000): Promise<void> {
    const loaded = new Promise<void>((resolve) => this.cdp.on('Page.loadEventFired', (_p, s) => s === this.sessionId && resolve()));
    const r = await this.send('Page.navigate', { url });
    if (r.errorText) throw new Error(`navigate ${url}: ${r.errorText}`);
    await Promise.race([loaded, sleep(timeoutMs).then(() => { throw new Error(`${url}: no load event in ${timeoutMs} ms`); })]);
  }

  async close(): Promise<void> {
    await this.cdp.send('Target.closeTarget', { targetId: this.targetId }).catch(() => {});
  }

  async screenshot(width: number, height: number): Promise<Buffer> {
    await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    const r = await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: false });
    return Buffer.from(r.data, 'base64');
  }
}

export interface Browser {
  pid: number;
  cdp: Cdp;
  /** The profile directory (also where downloads may go). */
  dir: string;
  newPage(): Promise<Page>;
  /** Stderr lines chromium printed (the last 200). */
  log(): string;
  close(): Promise<void>;
}

/** Every descendant of pid (children first found), with start times. */
function descendants(pid: number): Map<number, number | null> {
  const out = new Map<number, number | null>();
  const walk = (p: number) => {
    for (const c of childrenOf(p)) {
      if (out.has(c.pid)) continue;
      out.set(c.pid, c.startTime);
      walk(c.pid);
    }
  };
  walk(pid);
  return out;
}

export async function launchChromium(bin: string, opts: { width?: number; height?: number } = {}): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), 'kokoro-web-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox', // tests run as root in CI containers
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-extensions',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--autoplay-policy=no-user-gesture-required',
    '--mute-audio',
    `--user-data-dir=${dir}`,
    '--remote-debugging-address=127.0.0.1',
    '--remote-debugging-port=0',
    `--window-size=${opts.width ?? 1280},${opts.height ?? 900}`,
    'about:blank',
  ];
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (!child.pid) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start ${bin}`);
  }
  const pid = child.pid;
  const lines: string[] = [];
  let exited = false;
  const exitedP = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  // Processes chromium started, remembered while it runs so none outlives close().
  const seen = new Map<number, number | null>();
  const remember = () => { for (const [p, t] of descendants(pid)) if (!seen.has(p)) seen.set(p, t); };
  const onExit = () => {
    if (!exited) child.kill('SIGKILL');
    for (const [p, t] of seen) if (alive(p) && startTime(p) === t) process.kill(p, 'SIGKILL');
  };
  process.once('exit', onExit);

  const wsUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chromium printed no DevTools address in 30 s:\n${lines.join('\n')}`)), 30_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      for (const line of s.split('\n')) {
        if (!line) continue;
        lines.push(line);
        if (lines.length > 200) lines.shift();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited (${code ?? signal}) before it listened:\n${lines.join('\n')}`));
    });
  }).catch(async (err) => {
    onExit();
    process.off('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const cdp = await Cdp.connect(wsUrl);
  remember();

  return {
    pid,
    cdp,
    dir,
    async newPage() {
      const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
      const page = new Page(cdp, sessionId, targetId);
      await Promise.all([page.send('Runtime.enable'), page.send('Log.enable'), page.send('Page.enable')]);
      remember();
      return page;
    },
    log: () => lines.join('\n'),
    async close() {
      remember();
      await cdp.send('Browser.close').catch(() => {});
      cdp.close();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      if (!exited) {
        child.kill('SIGTERM');
        await exitedP;
      }
      clearTimeout(t);
      const deadline = Date.now() + 3000;
      const left = () => [...seen].filter(([p, st]) => alive(p) && startTime(p) === st);
      while (left().length && Date.now() < deadline) await sleep(50);
      for (const [p] of left()) process.kill(p, 'SIGKILL');
      process.off('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
