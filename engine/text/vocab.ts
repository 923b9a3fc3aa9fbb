// Kokoro's phoneme vocabulary (config.json "vocab": symbol -> token id).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE } from '../../models/manifest.js';

export type Log = (level: 'debug' | 'info' | 'warn', msg: string) => void;

export class Vocab {
  private constructor(private readonly ids: Map<string, number>) {}

  static load(modelsDir: string): Vocab {
    const config = JSON.parse(readFileSync(path.join(modelsDir, CONFIG_FILE), 'utf8')) as { vocab?: Record<string, number> };
    if (!config.vocab) throw new Error(`no "vocab" in ${path.join(modelsDir, CONFIG_FILE)}`);
    return new Vocab(new Map(Object.entries(config.vocab)));
  }

  has(symbol: string): boolean { return this.ids.has(symbol); }

  /** The largest token id (the model's embedding covers 0..maxId; 0 is the pad). */
  maxId(): number { return Math.max(...this.ids.values()); }

  /** Keeps only symbols the model knows (logging the rest) and tidies spaces. */
  filter(phonemes: string, log?: Log): string {
    let kept = '';
    const dropped = new Set<string>();
    for (const c of phonemes) {
      if (this.ids.has(c)) kept += c;
      else if (/\s/.test(c)) kept += ' ';
      else dropped.add(c);
    }
    if (dropped.size && log) log('debug', `phonemes not in vocabulary dropped: ${[...dropped].map((c) => JSON.stringify(c)).join(' ')}`);
    return kept.replace(/ {2,}/g, ' ').trim();
  }

  /**
   * filter() (without logging), plus where each input offset landed in the output: `map[i]` is
   * the output offset of input offset i (UTF-16 units; `map[input.length]` is the output length),
   * so spans of the input can be carried into the kept string.
   */
  filterMapped(phonemes: string): { kept: string; map: Int32Array } {
    const map = new Int32Array(phonemes.length + 1);
    let kept = '';
    let i = 0;
    for (const c of phonemes) {
      for (let k = 0; k < c.length; k++) map[i + k] = kept.length;
      // A space is kept only after something kept and not after another space (filter's
      // collapse and leading trim); the trailing one is cut below.
      if (/\s/.test(c) || c === ' ') {
        if (kept.length && !kept.endsWith(' ')) kept += ' ';
      } else if (this.ids.has(c)) kept += c;
      i += c.length;
    }
    if (kept.endsWith(' ')) kept = kept.slice(0, -1);
    map[phonemes.length] = kept.length;
    for (let j = 0; j <= phonemes.length; j++) if (map[j]! > kept.length) map[j] = kept.length;
    return { kept, map };
  }

  /** Token ids for an already filtered phoneme string (no 0 pads). */
  encode(phonemes: string): number[] {
    const out: number[] = [];
    for (const c of phonemes) {
      const id = this.ids.get(c);
      if (id !== undefined) out.push(id);
    }
    return out;
  }
}
