// The content-addressed chunk cache. A chunk's samples are determined by the model file, the
// voice spec (normalized weights, in written order: the engine mixes in that order), the speed
// and the chunk's token ids; the key is a SHA-256 over exactly those (and the language, to be
// conservative). Engines that do not report their model's SHA-256 give no key: never cached.
//
//   memory tier  LRU by bytes (CACHE_MB), Int16Array values shared with readers (never mutated)
//   disk tier    optional (CACHE_DIR, CACHE_DISK_MB): one file per key in a private 0700
//                directory, written atomically (temp + rename), verified on read (length and a
//                stored SHA-256 of the samples), LRU by size; a bad entry is deleted and missed.
//
// Plans (text -> chunks) are cached in memory too (a small share of CACHE_MB), so a request
// whose plan and chunks are all cached is served with every engine down.
// Single flight (concurrent requests for a chunk being synthesized share one synthesis) lives in
// the scheduler: the shared unit is a scheduled work item, cancelled only when its last waiter
// leaves.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, chmodSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PlannedChunk } from '../../protocol/engine-wire.js';
import type { GatewayMetrics } from '../metrics.js';

/** Everything that determines a chunk's samples. */
export interface ChunkKeyParts {
  model: string;
  /** canonicalVoice() of the request's voice. */
  voice: string;
  speed: number;
  lang: string;
  tokens: readonly number[];
}

/**
 * `af_heart`, `af_heart(1)` and `af_heart(3)` are the same voice; `a(1)+b(1)` and `a(2)+b(2)` the
 * same mix. Order is kept (mixing is a float sum in written order). null: not a spec we can read.
 */
export function canonicalVoice(spec: string): string | null {
  const parts: Array<[string, number]> = [];
  for (const piece of spec.split('+')) {
    const m = /^([a-z0-9_]+)(?:\((\d+(?:\.\d+)?)\))?$/.exec(piece.trim());
    if (!m) return null;
    const w = m[2] === undefined ? 1 : Number(m[2]);
    if (!(w > 0) || !Number.isFinite(w)) return null;
    parts.push([m[1]!, w]);
  }
  const total = parts.reduce((s, [, w]) => s + w, 0);
  return parts.map(([n, w]) => `${n}*${w / total}`).join('+');
}

export function chunkKey(p: ChunkKeyParts): string {
  const h = createHash('sha256');
  h.update(`kokoro-chunk-v1\0${p.model}\0${p.voice}\0${p.speed}\0${p.lang}\0`);
  const b = Buffer.allocUnsafe(4 + p.tokens.length * 2);
  b.writeUInt32LE(p.tokens.length, 0);
  p.tokens.forEach((t, i) => b.writeUInt16LE(t, 4 + i * 2));
  h.update(b);
  return h.digest('hex');
}

export function planKey(model: string, lang: string, text: string): string {
  return createHash('sha256').update(`kokoro-plan-v1\0${model}\0${lang}\0`).update(text, 'utf8').digest('hex');
}

export interface CachedPlan {
  chunks: PlannedChunk[];
  inputTokens: number;
}

/** A Map-ordered LRU bounded by bytes. */
export class ByteLru<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  bytes = 0;

  constructor(readonly limit: number, private readonly onEvict: (key: string, bytes: number) => void = () => {}) {}

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** false when the value alone is larger than the limit. */
  set(key: string, value: V, bytes: number): boolean {
    if (bytes > this.limit) return false;
    this.delete(key);
    this.map.set(key, { value, bytes });
    this.bytes += bytes;
    for (const [k, e] of this.map) {
      if (this.bytes <= this.limit) break;
      this.map.delete(k);
      this.bytes -= e.bytes;
      this.onEvict(k, e.bytes);
    }
    return true;
  }

  delete(key: string): void {
    const e = this.map.get(key);
    if (!e) return;
    this.map.delete(key);
    this.bytes -= e.bytes;
  }

  get size(): number {
    return this.map.size;
  }
}

export interface ChunkCacheOptions {
  /** Memory tier size in bytes; 0 turns the whole cache off. */
  memoryBytes: number;
  /** Disk tier directory; undefined = no disk tier. */
  dir?: string;
  diskBytes?: number;
  metrics?: GatewayMetrics;
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

const MAGIC = 0x3143_4b4b; // 'KKC1'
const HEADER = 4 + 4 + 32;
const PLAN_SHARE = 16; // plans get 1/16 of the memory budget

export class ChunkCache {
  readonly enabled: boolean;
  private readonly memory: ByteLru<Int16Array>;
  private readonly plans: ByteLru<CachedPlan>;
  /** Disk tier index: key -> file bytes, in LRU order. */
  private readonly disk: ByteLru<true> | null = null;
  private readonly dir: string | undefined;
  private readonly writing = new Set<string>();

  constructor(private readonly opts: ChunkCacheOptions) {
    this.enabled = opts.memoryBytes > 0;
    const m = opts.metrics;
    this.memory = new ByteLru(opts.memoryBytes, () => m?.cacheEvictions.inc({ tier: 'memory' }));
    this.plans = new ByteLru(Math.floor(opts.memoryBytes / PLAN_SHARE));
    if (this.enabled && opts.dir && (opts.diskBytes ?? 0) > 0) {
      this.dir = opts.dir;
      mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
      chmodSync(opts.dir, 0o700);
      this.disk = new ByteLru<true>(opts.diskBytes!, (key) => {
        m?.cacheEvictions.inc({ tier: 'disk' });
        void unlink(this.file(key)).catch(() => {});
      });
      this.loadIndex();
    }
    this.report();
  }

  /** Existing entries, oldest use first (by mtime); leftover temp files are removed. */
  private loadIndex(): void {
    const found: Array<{ key: string; bytes: number; mtime: number }> = [];
    for (const name of readdirSync(this.dir!)) {
      const full = join(this.dir!, name);
      if (name.endsWith('.tmp')) {
        try { unlinkSync(full); } catch { /* another gateway's write in progress, or gone */ }
        continue;
      }
      const m = /^([0-9a-f]{64})\.pcm$/.exec(name);
      if (!m) continue;
      try {
        const st = statSync(full);
        if (st.isFile()) found.push({ key: m[1]!, bytes: st.size, mtime: st.mtimeMs });
      } catch { /* vanished */ }
    }
    found.sort((a, b) => a.mtime - b.mtime);
    for (const f of found) this.disk!.set(f.key, true, f.bytes);
  }

  private file(key: string): string {
    return join(this.dir!, `${key}.pcm`);
  }

  /** Memory, then disk; counts a hit or a miss. */
  async get(key: string): Promise<Int16Array | undefined> {
    if (!this.enabled) return undefined;
    const hit = this.memory.get(key);
    if (hit) {
      this.opts.metrics?.cacheHits.inc({ tier: 'memory' });
      return hit;
    }
    if (this.disk?.has(key)) {
      const samples = await this.readDisk(key);
      if (samples) {
        this.disk.get(key); // most recently used
        this.memory.set(key, samples, samples.byteLength);
        this.opts.metrics?.cacheHits.inc({ tier: 'disk' });
        this.report();
        return samples;
      }
    }
    this.opts.metrics?.cacheMisses.inc();
    return undefined;
  }

  private async readDisk(key: string): Promise<Int16Array | undefined> {
    const path = this.file(key);
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch {
      this.disk!.delete(key);
      return undefined;
    }
    const ok = buf.length >= HEADER && buf.readUInt32LE(0) === MAGIC && buf.length === HEADER + buf.readUInt32LE(4) * 2
      && createHash('sha256').update(buf.subarray(HEADER)).digest().equals(buf.subarray(8, HEADER));
    if (!ok) {
      this.opts.log?.('warn', 'chunk cache: corrupt disk entry ignored and removed', { key });
      this.disk!.delete(key);
      await unlink(path).catch(() => {});
      return undefined;
    }
    const samples = new Int16Array(buf.readUInt32LE(4));
    Buffer.from(samples.buffer).set(buf.subarray(HEADER));
    return samples;
  }

  /** Stores a synthesized chunk (the caller must not mutate `samples` afterwards). */
  put(key: string, samples: Int16Array): void {
    if (!this.enabled) return;
    this.memory.set(key, samples, samples.byteLength);
    if (this.disk && !this.disk.has(key) && !this.writing.has(key)) void this.writeDisk(key, samples);
    this.report();
  }

  private async writeDisk(key: string, samples: Int16Array): Promise<void> {
    this.writing.add(key);
    const payload = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    const head = Buffer.allocUnsafe(HEADER);
    head.writeUInt32LE(MAGIC, 0);
    head.writeUInt32LE(samples.length, 4);
    createHash('sha256').update(payload).digest().copy(head, 8);
    const tmp = join(this.dir!, `${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(tmp, Buffer.concat([head, payload]), { mode: 0o600, flag: 'wx' });
      await rename(tmp, this.file(key));
      this.disk!.set(key, true, HEADER + payload.length);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      this.opts.log?.('warn', 'chunk cache: disk write failed', { error: (err as Error).message });
    } finally {
      this.writing.delete(key);
      this.report();
    }
  }

  getPlan(key: string): CachedPlan | undefined {
    return this.enabled ? this.plans.get(key) : undefined;
  }

  putPlan(key: string, plan: CachedPlan): void {
    if (!this.enabled) return;
    const bytes = 64 + plan.chunks.reduce((n, c) => n + 16 + c.tokens.length * 8, 0);
    this.plans.set(key, plan, bytes);
  }

  private report(): void {
    const m = this.opts.metrics;
    if (!m) return;
    m.cacheBytes.set({ tier: 'memory' }, this.memory.bytes);
    if (this.disk) m.cacheBytes.set({ tier: 'disk' }, this.disk.bytes);
  }

  /** For tests and /metrics: bytes per tier. */
  stats(): { memoryBytes: number; memoryEntries: number; diskBytes: number; diskEntries: number } {
    return { memoryBytes: this.memory.bytes, memoryEntries: this.memory.size, diskBytes: this.disk?.bytes ?? 0, diskEntries: this.disk?.size ?? 0 };
  }
}
