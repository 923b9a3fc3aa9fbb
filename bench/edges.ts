// bench:edges — how much silence Kokoro puts at the edges of a chunk, by how the chunk ends,
// and how long the pause is at the same kind of boundary inside one chunk. The figures behind
// engine/edges.ts's limits.
//
// For each phrase (ending in '.', '?', '!', ',', ';', ':' or no punctuation), synthesized alone:
// the leading and trailing silent run (10 ms frames with RMS under --silent, default 0.01, about
// -40 dBFS) before trimming, and after engine/edges.ts's trim. Then pairs "A<p> B" synthesized as
// one chunk: the silent run between A and B (the pause a one-chunk rendering has there).
//
//   npm run build && node dist/bench/edges.js [--voice af_heart] [--silent 0.01] [--speed 1]

import { endingClass, trimEdges, type Ending } from '../engine/edges.js';
import { SAMPLE_RATE } from '../protocol/constants.js';
import { Flags, median, runMain, table } from './lib/common.js';
import { frameRms } from './lib/frames.js';
import { loadInProcess } from './lib/in-process.js';

const STEMS = [
  'The harbor wakes before the town does',
  'Fishing boats slide out past the breakwater',
  'The library reopened last spring',
  'Our team met on Tuesday to review the plan',
  'Mountain weather turns quickly in the afternoon',
  'The station staff handed out printed timetables',
  'Children jumped in the puddles after the storm',
];
const ENDINGS = ['.', '?', '!', ',', ';', ':', ''];

function edges(x: Float32Array, silent: number): { lead: number; trail: number; floor: number } {
  const r = frameRms(x);
  let a = 0;
  while (a < r.length && r[a]! < silent) a++;
  let b = r.length;
  while (b > a && r[b - 1]! < silent) b--;
  const quiet = [...r.slice(0, a), ...r.slice(b)];
  return { lead: a * 10, trail: x.length / SAMPLE_RATE * 1000 - b * 10, floor: quiet.length ? Math.max(...quiet) : 0 };
}

/** The longest silent run strictly inside the speech, in ms. */
function innerPause(x: Float32Array, silent: number): number {
  const r = frameRms(x);
  let a = 0;
  while (a < r.length && r[a]! < silent) a++;
  let b = r.length;
  while (b > a && r[b - 1]! < silent) b--;
  let best = 0;
  for (let i = a; i < b; i++) {
    if (r[i]! >= silent) continue;
    let e = i;
    while (e < b && r[e]! < silent) e++;
    best = Math.max(best, e - i);
    i = e;
  }
  return best * 10;
}

runMain(async () => {
  const flags = new Flags();
  const voice = flags.str('--voice') ?? 'af_heart';
  const silent = flags.num('--silent', 0.01);
  const speed = flags.num('--speed', 1);
  const { model, fe, vocab, voices } = await loadInProcess();
  const run = (tokens: number[]) => model.run(tokens, voices.style(voice, tokens.length), speed);
  const tok = async (text: string) => vocab.encode(await fe.phonemize(text, 'en-us'));

  const byEnd = new Map<string, { lead: number[]; trail: number[]; tLead: number[]; tTrail: number[]; floor: number[] }>();
  const rows: (string | number)[][] = [];
  for (const stem of STEMS) {
    for (const p of ENDINGS) {
      const tokens = await tok(stem + p);
      const x = await run(tokens);
      const e = edges(x, silent);
      const t = edges(trimEdges(x, tokens, speed), silent);
      const cls: Ending = endingClass(tokens);
      const k = p || 'none';
      const acc = byEnd.get(k) ?? { lead: [], trail: [], tLead: [], tTrail: [], floor: [] };
      acc.lead.push(e.lead); acc.trail.push(e.trail); acc.tLead.push(t.lead); acc.tTrail.push(t.trail); acc.floor.push(e.floor);
      byEnd.set(k, acc);
      rows.push([`${stem.split(' ').slice(0, 3).join(' ')}…${p}`, cls, e.lead, Math.round(e.trail), t.lead, Math.round(t.trail), e.floor.toFixed(4)]);
    }
  }
  table(`Edge silence per chunk (${voice}, speed ${speed}, silence: 10 ms RMS < ${silent})`,
    ['phrase', 'class', 'lead ms', 'trail ms', 'lead trimmed', 'trail trimmed', 'max silent RMS'], rows);
  table('By ending (median [min–max])', ['ending', 'lead ms', 'trail ms', 'lead trimmed', 'trail trimmed'],
    [...byEnd].map(([k, a]) => [k, ...[a.lead, a.trail, a.tLead, a.tTrail].map((xs) => `${Math.round(median(xs))} [${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}]`)]));

  // Pauses inside one chunk at the same kind of boundary.
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < STEMS.length; i++) pairs.push([STEMS[i]!, STEMS[i + 1]!.toLowerCase()]);
  const prow: (string | number)[][] = [];
  for (const p of ['.', '?', '!', ',', ';', '']) {
    const xs: number[] = [];
    for (const [a, b] of pairs) {
      const second = p === '.' || p === '?' || p === '!' ? b[0]!.toUpperCase() + b.slice(1) : b;
      xs.push(innerPause(await run(await tok(`${a}${p} ${second}.`)), silent));
    }
    prow.push([p || 'none', Math.round(median(xs)), `${Math.min(...xs)}–${Math.max(...xs)}`, xs.join(' ')]);
  }
  table('Longest pause inside one chunk "A<p> B." (ms)', ['boundary', 'median', 'range', 'each'], prow,
    'For "none" the longest pause may not be at the A|B boundary (often there is none there).');
});
