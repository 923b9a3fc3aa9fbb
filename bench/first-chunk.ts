// bench:first-chunk — how soon the first chunk's audio exists, per first-chunk cap.
//
// In this process, on the real model (ONNX Runtime 1.32 as the engine loads it, 1 intra-op
// thread): for each text and each first-chunk cap, the time from the text to chunk 0's audio
// (front end up to chunk 0, then session.run on it), against the old rule in the same run
// (the whole text through the front end first, first chunk up to 80 tokens, no ramp: what the
// engine does with FIRST_CHUNK_TOKENS=80 CHUNK_RAMP=0). Variants are interleaved text by text, so load drift hits
// them alike. Also, once per text and cap: chunk 0's audio length and the gap a lone engine
// would leave before chunk 1's audio (front end + inference of chunk 1 past chunk 0's end).
// Then throughput of the later chunks per target size (DEFAULT_TARGET_TOKENS candidates).
//
//   npm run bench:first-chunk -- [--caps 20,30,40,60,80] [--reps 3] [--voice af_heart]
//                                [--targets 200,250,300] [--no-throughput] [--no-gap] [--json FILE]
//                                [--stretch 60]
// `cap-N` is the cap alone (firstChunkStretchTokens 0); with --stretch S, `cap-N+S` variants run
// too: chunk 0 may stretch to S tokens to end at punctuation (the default rule, S = 60).
import { DEFAULT_FIRST_CHUNK_TOKENS, DEFAULT_TARGET_TOKENS, type TextFrontEnd } from '../engine/text/index.js';
import { SAMPLE_RATE } from '../protocol/constants.js';
import { Flags, finish, fmt, median, ms, runMain, table, warnIfBusy } from './lib/common.js';
import { loadInProcess } from './lib/in-process.js';
import { LONG, PARAGRAPHS, wordCount } from './texts.js';

interface Sample {
  text: string;
  variant: string;
  rep: number;
  frontMs: number;
  inferMs: number;
  totalMs: number;
  tokens: number;
  words: number;
  audioS: number;
  ending: string;
}

runMain(async () => {
  const flags = new Flags();
  const caps = flags.ints('--caps', [20, 30, 40, 60, 80]);
  const reps = flags.num('--reps', 3);
  const voice = flags.str('--voice') ?? 'af_heart';
  const targets = flags.ints('--targets', [200, 250, 300]);
  warnIfBusy();
  const { runtime, model, fe, voices } = await loadInProcess();
  console.log(`ONNX Runtime ${runtime.version} (${runtime.source}), 1 thread, voice ${voice}, caps ${caps.join('/')}, ${reps} reps`);
  const run = (tokens: number[]) => model.run(tokens, voices.style(voice, tokens.length), 1);
  for (let i = 0; i < 3; i++) await run((await fe.chunk(PARAGRAPHS[i]!, 'en-us'))[0]!.tokens); // warm-up

  const texts = [...PARAGRAPHS.map((text, i) => ({ name: `p${i}`, text })), { name: 'long', text: LONG }];
  const stretch = flags.has('--stretch') ? flags.num('--stretch', 60) : 0;
  const variants = ['old-80', ...caps.flatMap((c) => (stretch > c ? [`cap-${c}`, `cap-${c}+${stretch}`] : [`cap-${c}`]))];
  const samples: Sample[] = [];
  const gaps = new Map<string, number[]>();
  for (let rep = 0; rep < reps; rep++) {
    for (const t of texts) {
      // Rotate the variant order per text and rep: none always runs first.
      const order = variants.map((_, i) => variants[(i + rep + texts.indexOf(t)) % variants.length]!);
      for (const v of order) {
        const t0 = performance.now();
        let first: { tokens: number[]; text: string };
        let gen: AsyncGenerator<{ tokens: number[] }> | undefined;
        let rest: { tokens: number[] }[] = [];
        if (v === 'old-80') {
          const all = await fe.chunk(t.text, 'en-us', { firstChunkTokens: 80, growth: Infinity, firstChunkStretchTokens: 0 });
          first = all[0]!;
          rest = all.slice(1);
        } else {
          const [cap, stretchTo] = v.slice(4).split('+').map(Number) as [number, number | undefined];
          gen = fe.chunks(t.text, 'en-us', { firstChunkTokens: cap, firstChunkStretchTokens: stretchTo ?? 0 });
          first = (await gen.next()).value!;
        }
        const t1 = performance.now();
        const audio = await run(first.tokens);
        const t2 = performance.now();
        const audioS = audio.length / SAMPLE_RATE;
        samples.push({ text: t.name, variant: v, rep, frontMs: t1 - t0, inferMs: t2 - t1, totalMs: t2 - t0, tokens: first.tokens.length,
          words: wordCount(first.text), audioS, ending: first.text.split(' ').slice(-3).join(' ') });
        if (rep === 0 && !flags.has('--no-gap')) {
          // A lone engine: chunk 1's audio is ready (front end + inference) while chunk 0 plays?
          const t3 = performance.now();
          const next = gen ? (await gen.next()).value : rest[0];
          if (next) {
            await run(next.tokens);
            const gap = Math.max(0, performance.now() - t3 - audioS * 1000);
            gaps.set(v, [...(gaps.get(v) ?? []), gap]);
          }
        }
        await gen?.return(undefined);
      }
    }
    process.stdout.write(`rep ${rep + 1}/${reps} done\n`);
  }

  // Per text and variant: medians over reps; ratio to old-80 per (text, rep) in the same run.
  const rows: (string | number)[][] = [];
  const figures: Record<string, unknown>[] = [];
  for (const v of variants) {
    const mine = samples.filter((s) => s.variant === v);
    const ratios = mine.map((s) => s.totalMs / samples.find((o) => o.variant === 'old-80' && o.text === s.text && o.rep === s.rep)!.totalMs);
    const para = mine.filter((s) => s.text !== 'long');
    const long = mine.filter((s) => s.text === 'long');
    const paraRatios = ratios.filter((_, i) => mine[i]!.text !== 'long');
    const longRatios = ratios.filter((_, i) => mine[i]!.text === 'long');
    const g = gaps.get(v) ?? [];
    const f = {
      variant: v,
      paragraphFirstAudioMs: median(para.map((s) => s.totalMs)),
      paragraphFrontMs: median(para.map((s) => s.frontMs)),
      paragraphRatio: median(paraRatios),
      longFirstAudioMs: median(long.map((s) => s.totalMs)),
      longFrontMs: median(long.map((s) => s.frontMs)),
      longRatio: median(longRatios),
      firstTokens: median(para.map((s) => s.tokens)),
      firstWords: median(para.map((s) => s.words)),
      firstAudioS: median(para.map((s) => s.audioS)),
      loneEngineGapMs: median(g),
      loneEngineGapMaxMs: g.length ? Math.max(...g) : NaN,
    };
    figures.push(f);
    rows.push([v, ms(f.paragraphFirstAudioMs), ms(f.paragraphFrontMs), fmt(f.paragraphRatio), ms(f.longFirstAudioMs), ms(f.longFrontMs), fmt(f.longRatio),
      f.firstTokens, f.firstWords, fmt(f.firstAudioS), ms(f.loneEngineGapMs), ms(f.loneEngineGapMaxMs)]);
  }
  table('Time to first chunk audio (ms, medians), ratio to the old 80-token rule in the same run',
    ['rule', 'para ms', 'front ms', 'ratio', 'long ms', 'front ms', 'ratio', 'tok', 'words', 'audio s', 'gap ms', 'gap max'], rows,
    `para: the ${PARAGRAPHS.length} ~60-word paragraphs of bench/texts.ts; long: all of them joined (~${wordCount(LONG)} words).\n` +
    'tok/words/audio s: chunk 0 (paragraphs). gap: a lone engine\'s silence between chunk 0 and chunk 1 (rep 1 only).\n' +
    `Defaults now: first chunk ${DEFAULT_FIRST_CHUNK_TOKENS} tokens, later chunks ${DEFAULT_TARGET_TOKENS}.`);
  console.log('\nChunk 0 per paragraph (rep 1):');
  for (const v of variants) {
    console.log(`  ${v}: ${samples.filter((s) => s.variant === v && s.rep === 0 && s.text !== 'long').map((s) => `${s.tokens}t "…${s.ending}"`).join(' | ')}`);
  }

  let throughput: Record<string, unknown>[] = [];
  if (!flags.has('--no-throughput')) throughput = await measureThroughput(fe, run, targets, reps);
  finish('first-chunk', flags, { caps, reps, voice, runtime: runtime.version, figures, throughput });
});

/** Audio seconds per wall second of the chunks after chunk 0 of a ~180-word text, per target size. */
async function measureThroughput(fe: TextFrontEnd, run: (t: number[]) => Promise<Float32Array>, targets: number[], reps: number) {
  const text = PARAGRAPHS.slice(0, 3).join(' ');
  const plans = new Map<number, number[][]>();
  for (const t of targets) plans.set(t, (await fe.chunk(text, 'en-us', { targetTokens: t })).slice(1).map((c) => c.tokens));
  const speeds = new Map<number, number[]>();
  for (let rep = 0; rep < reps; rep++) {
    for (const [i] of targets.entries()) {
      const t = targets[(i + rep) % targets.length]!;
      let samples = 0;
      const t0 = performance.now();
      for (const tokens of plans.get(t)!) samples += (await run(tokens)).length;
      speeds.set(t, [...(speeds.get(t) ?? []), samples / SAMPLE_RATE / ((performance.now() - t0) / 1000)]);
    }
    process.stdout.write(`throughput rep ${rep + 1}/${reps} done\n`);
  }
  const base = median(speeds.get(targets[0]!)!);
  const out = targets.map((t) => ({ target: t, chunks: plans.get(t)!.length, speed: median(speeds.get(t)!), ratio: median(speeds.get(t)!) / base }));
  table(`Throughput of the later chunks (audio s per wall s, median of ${reps}), ~${wordCount(text)} words`,
    ['target', 'chunks', 'x realtime', `vs ${targets[0]}`], out.map((o) => [o.target, o.chunks, fmt(o.speed), fmt(o.ratio)]));
  return out;
}
