// bench:seam — does the join after a short first chunk sound natural?
//
// For each text: chunk 0 (cut at the first-chunk cap) and chunk 1 synthesized separately and
// concatenated, as a listener hears them, against the same phonemes synthesized as one chunk.
// Printed per text: total duration of each; the pause at the seam (silent run around the
// junction) against the pause at the same boundary inside the joined rendering (the silent
// run nearest the same point); speech level (RMS) in the 300 ms each side of the seam against
// the same places in the joined rendering; the sample step at the junction (a click would
// show as a large step). WAVs go to --out DIR (default /tmp/kokoro-seam) for listening or a
// transcriber (scripts/seam-transcribe.py).
//
// Chunks are trimmed as the engine trims them (engine/edges.ts); --no-trim gives the raw model
// output (the figures before the trim). Where chunk 0 ends without punctuation, "+, dB" is the
// end level of chunk 0 synthesized with a comma token appended (a continuing-intonation test).
//
//   npm run build && node dist/bench/seam.js [--cap 40] [--voice af_heart] [--out DIR] [--no-trim]
//                                         [--stretch N] (chunk 0's stretch to punctuation; 0: off)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { endingClass, trimEdges } from '../engine/edges.js';
import { FIRST_CHUNK_STRETCH_TOKENS } from '../engine/text/index.js';
import { SAMPLE_RATE } from '../protocol/constants.js';
import { Flags, fmt, runMain, table } from './lib/common.js';
import { PARAGRAPHS } from './texts.js';
import { FRAME, frameRms } from './lib/frames.js';
import { loadInProcess } from './lib/in-process.js';

const SILENT = 0.01; // RMS below this (about -40 dBFS) counts as silence

/** The silent run (in frames) that contains or is nearest to frame `at`: [start, end). */
function pauseNear(rms: number[], at: number, within = 60): [number, number] | null {
  let best: [number, number] | null = null;
  let bestDist = Infinity;
  for (let i = Math.max(0, at - within); i < Math.min(rms.length, at + within); i++) {
    if (rms[i]! >= SILENT || (i > 0 && rms[i - 1]! < SILENT && i !== Math.max(0, at - within))) continue;
    let e = i;
    while (e < rms.length && rms[e]! < SILENT) e++;
    let s = i;
    while (s > 0 && rms[s - 1]! < SILENT) s--;
    const d = at >= s && at < e ? 0 : Math.min(Math.abs(at - s), Math.abs(at - e));
    if (d < bestDist || (d === bestDist && best && e - s > best[1] - best[0])) {
      best = [s, e];
      bestDist = d;
    }
    i = e;
  }
  return best;
}

const level = (rms: number[], from: number, to: number): number => {
  const xs = rms.slice(Math.max(0, from), Math.max(0, to)).filter((r) => r >= SILENT);
  return xs.length ? Math.sqrt(xs.reduce((a, r) => a + r * r, 0) / xs.length) : 0;
};
const db = (x: number) => (x > 0 ? 20 * Math.log10(x) : -Infinity);

function wav(samples: Float32Array): Buffer {
  const b = Buffer.alloc(44 + samples.length * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + samples.length * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(SAMPLE_RATE, 24);
  b.writeUInt32LE(SAMPLE_RATE * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(samples.length * 2, 40);
  samples.forEach((s, i) => b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(s * 32767))), 44 + i * 2));
  return b;
}

runMain(async () => {
  const flags = new Flags();
  const cap = flags.num('--cap', 40);
  const voice = flags.str('--voice') ?? 'af_heart';
  const out = flags.str('--out') ?? '/tmp/kokoro-seam';
  const trim = !flags.has('--no-trim');
  const stretch = flags.has('--stretch') ? Number(flags.str('--stretch')) : FIRST_CHUNK_STRETCH_TOKENS;
  mkdirSync(out, { recursive: true });
  const { model, fe, vocab, voices } = await loadInProcess();
  const run = (tokens: number[]) => model.run(tokens, voices.style(voice, tokens.length), 1);
  const rows: (string | number)[][] = [];
  const manifest: { name: string; split: string; joined: string; text: string }[] = [];
  for (const [i, text] of PARAGRAPHS.entries()) {
    const chunks = await fe.chunk(text, 'en-us', { firstChunkTokens: cap, firstChunkStretchTokens: stretch });
    if (chunks.length < 2) continue;
    const [c0, c1] = chunks as [typeof chunks[0], typeof chunks[0]];
    const edge = (x: Float32Array, tokens: number[]) => (trim ? trimEdges(x, tokens, 1) : x);
    const a0 = edge(await run(c0.tokens), c0.tokens);
    const a1 = edge(await run(c1.tokens), c1.tokens);
    const joinedTokens = vocab.encode(`${c0.phonemes} ${c1.phonemes}`);
    if (joinedTokens.length > 510) continue;
    const joined = edge(await run(joinedTokens), joinedTokens);
    // Continuing-intonation test: chunk 0 with a comma token appended, its end level.
    let commaDb = '';
    if (endingClass(c0.tokens) === 'none') {
      const comma = [...c0.tokens, ...vocab.encode(',')];
      const ac = edge(await run(comma), comma);
      const rc = frameRms(ac);
      let e = rc.length;
      while (e > 0 && rc[e - 1]! < SILENT) e--;
      commaDb = fmt(db(level(rc, e - 30, e)), 1);
    }
    const split = new Float32Array(a0.length + a1.length);
    split.set(a0);
    split.set(a1, a0.length);
    const name = `p${i}`;
    writeFileSync(join(out, `${name}-split.wav`), wav(split));
    writeFileSync(join(out, `${name}-joined.wav`), wav(joined));
    manifest.push({ name, split: `${name}-split.wav`, joined: `${name}-joined.wav`, text: `${c0.text} ${c1.text}` });

    const rs = frameRms(split);
    const rj = frameRms(joined);
    const seam = Math.floor(a0.length / FRAME);
    const ps = pauseNear(rs, seam) ?? [seam, seam];
    // The same boundary inside the joined rendering: chunk 0's speech ends at ps[0] in the split
    // one; scale by the two durations' ratio, then take the nearest pause there.
    const at = Math.round(ps[0] * (rj.length / rs.length));
    const pj = pauseNear(rj, at) ?? [at, at];
    const step = Math.abs(a1[0]! - a0[a0.length - 1]!);
    rows.push([name, `${c0.tokens.length}+${c1.tokens.length}`, `"…${c0.text.split(' ').slice(-2).join(' ')}"`,
      fmt(split.length / SAMPLE_RATE), fmt(joined.length / SAMPLE_RATE), fmt((split.length - joined.length) / SAMPLE_RATE),
      (ps[1] - ps[0]) * 10, (pj[1] - pj[0]) * 10,
      fmt(db(level(rs, ps[0] - 30, ps[0])), 1), fmt(db(level(rj, pj[0] - 30, pj[0])), 1), commaDb,
      fmt(db(level(rs, ps[1], ps[1] + 30)), 1), fmt(db(level(rj, pj[1], pj[1] + 30)), 1), fmt(step, 4)]);
  }
  table(`Seam after chunk 0 (cap ${cap}, stretch ${stretch || 'off'}, ${voice}, ${trim ? 'edges trimmed' : 'untrimmed'}): chunks 0+1 synthesized apart and concatenated vs as one chunk`,
    ['text', 'tokens', 'chunk 0 ends', 'split s', 'joined s', 'diff s', 'pause ms', 'joined', 'pre dB', 'joined', '+, dB', 'post dB', 'joined', 'step'], rows,
    'pause: the silent run (RMS < -40 dBFS, 10 ms frames) at the seam, and at the same boundary in the one-chunk rendering.\n' +
    'pre/post dB: speech level in the 300 ms before/after that pause. step: |sample difference| across the junction (full scale 1).');
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 1));
  console.log(`\nWAVs and manifest.json in ${out}`);
});
