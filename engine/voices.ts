// Voice names, mixes and packs. A voice pack is float32 LE [510, 1, 256]: the style vector
// for N phoneme tokens is row min(N, 509). Names are checked against the directory listing,
// so no name can reach a file outside the voices directory.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VoiceInfo } from '../protocol/engine-wire.js';
import { type Lang } from '../protocol/constants.js';
import { spokenVoiceLang, voiceGender, voiceLang as anyVoiceLang } from './text/lang/langs.js';

export const STYLE_DIM = 256;
export const PACK_ROWS = 510;
const NAME = /^[a-z]{2}_[a-z0-9]{1,32}$/;
export const MAX_MIX_PARTS = 8;

export interface VoicePart {
  name: string;
  weight: number;
}

export class VoiceError extends Error {}

/** Voice names present in the directory (`af_heart`, …), sorted. */
export function listVoiceNames(voicesDir: string): string[] {
  return readdirSync(voicesDir)
    .filter((f) => f.endsWith('.bin'))
    .map((f) => f.slice(0, -4))
    .filter((n) => NAME.test(n))
    .sort();
}

export function voiceInfo(name: string): VoiceInfo {
  return { name, lang: anyVoiceLang(name) ?? 'unknown', gender: voiceGender(name) ?? 'female' };
}

/** The language a voice speaks, for the voices this engine can phonemize (not zh yet). */
export function voiceLang(name: string): Lang | undefined {
  return spokenVoiceLang(name);
}

/**
 * Parses `a`, `a+b`, `a(2)+b(1)` into parts with weights that sum to 1.
 * Throws VoiceError naming the problem; `known` is the set of valid names.
 */
export function parseVoiceSpec(spec: string, known: ReadonlySet<string>): VoicePart[] {
  return readVoiceSpec(spec, known).parts;
}

const LOOSE_PIECE = /^([a-z0-9_]+)(\([^)]*\))?$/i;

/**
 * parseVoiceSpec in the same pass as a renaming: with `alias`, each name is lower-cased and
 * renamed (OpenAI voice names) before it is checked, and `spec` is the spec rebuilt with the
 * new names and the weights as written, for an engine to check again.
 */
export function readVoiceSpec(raw: string, known: ReadonlySet<string>, alias?: (name: string) => string): { spec: string; parts: VoicePart[] } {
  let spec = raw;
  let pieces: string[] | undefined;
  if (alias && typeof raw === 'string') {
    pieces = raw.split('+').map((p) => {
      const m = LOOSE_PIECE.exec(p.trim());
      return m ? alias(m[1]!.toLowerCase()) + (m[2] ?? '') : p.trim();
    });
    spec = pieces.join('+');
  }
  if (typeof spec !== 'string' || spec.length === 0 || spec.length > 400) throw new VoiceError('voice must be a non-empty string');
  pieces ??= spec.split('+').map((s) => s.trim());
  if (pieces.length > MAX_MIX_PARTS) throw new VoiceError(`a mix may have at most ${MAX_MIX_PARTS} voices`);
  const parts: VoicePart[] = [];
  for (const piece of pieces) {
    const m = /^([a-z0-9_]+)(?:\((\d+(?:\.\d+)?)\))?$/.exec(piece);
    if (!m) throw new VoiceError(`invalid voice '${printable(piece)}'`);
    const name = m[1]!;
    if (!known.has(name)) throw new VoiceError(`unknown voice '${printable(name)}'`);
    const weight = m[2] === undefined ? 1 : Number(m[2]);
    if (!(weight > 0) || !Number.isFinite(weight)) throw new VoiceError(`voice weight must be positive: '${printable(piece)}'`);
    parts.push({ name, weight });
  }
  const total = parts.reduce((s, p) => s + p.weight, 0);
  return { spec, parts: parts.map((p) => ({ name: p.name, weight: p.weight / total })) };
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
}

/** Loads packs once and mixes them; mixes are cached by their normalized spec. */
export class VoiceStore {
  private readonly packs = new Map<string, Float32Array>();
  private readonly mixes = new Map<string, Float32Array>();
  readonly names: ReadonlySet<string>;

  constructor(private readonly voicesDir: string) {
    this.names = new Set(listVoiceNames(voicesDir));
  }

  pack(name: string): Float32Array {
    let p = this.packs.get(name);
    if (!p) {
      if (!this.names.has(name)) throw new VoiceError(`unknown voice '${printable(name)}'`);
      const buf = readFileSync(join(this.voicesDir, `${name}.bin`));
      if (buf.length !== PACK_ROWS * STYLE_DIM * 4) throw new VoiceError(`voice pack ${name} has the wrong size`);
      p = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
      this.packs.set(name, p);
    }
    return p;
  }

  /** The whole [510×256] table for a spec or its parsed parts (a single voice or a weighted sum). */
  table(spec: string | readonly VoicePart[]): Float32Array {
    const parts = typeof spec === 'string' ? parseVoiceSpec(spec, this.names) : spec;
    const key = parts.map((p) => `${p.name}:${p.weight}`).join('+');
    let t = this.mixes.get(key);
    if (t) return t;
    if (parts.length === 1) return this.pack(parts[0]!.name);
    t = new Float32Array(PACK_ROWS * STYLE_DIM);
    for (const part of parts) {
      const p = this.pack(part.name);
      for (let i = 0; i < t.length; i++) t[i]! += p[i]! * part.weight;
    }
    if (this.mixes.size > 256) this.mixes.clear();
    this.mixes.set(key, t);
    return t;
  }

  /** Style vector for a chunk of `tokenCount` phoneme tokens (pads excluded). */
  style(spec: string | readonly VoicePart[], tokenCount: number): Float32Array {
    const row = Math.min(Math.max(tokenCount, 0), PACK_ROWS - 1);
    return this.table(spec).slice(row * STYLE_DIM, (row + 1) * STYLE_DIM);
  }
}
