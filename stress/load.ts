// The load: `concurrency` workers send seeded requests until the deadline; bursts add extra
// requests at once, above the admission limits on purpose. Every response is verified as it ends.
import { sendSpeech, type ClientConfig } from './client.js';
import { CASES, casesOf, TEXT_CLASS_WEIGHTS, type SpeechCase, type TextClass } from './corpus.js';
import { createRng } from './prng.js';
import { FORMATS, type Format, type Mode, type SpeechPlan, type SpeechResult, type Verdict } from './types.js';

export interface LoadMix {
  formats: readonly Format[];
  modes: readonly (readonly [Mode, number])[];
  abortRate: number;
  slowReaderRate: number;
  /** Clients that stop reading for longer than CLIENT_STALL_MS, and clients that read at a trickle. */
  stallRate: number;
  trickleRate: number;
  /** Text classes drawn (huge ones are always whole files). */
  textClasses: readonly (readonly [TextClass, number])[];
}

export const DEFAULT_MIX: LoadMix = {
  formats: FORMATS,
  modes: [
    ['stream', 5],
    ['sse', 2],
    ['file', 3],
  ],
  abortRate: 0.1,
  slowReaderRate: 0.08,
  stallRate: 0.05,
  trickleRate: 0.05,
  textClasses: TEXT_CLASS_WEIGHTS,
};

/** The fast-engine profile: producers far outrun consumers, huge whole files, more stalls and trickles. */
export const FAST_MIX: LoadMix = {
  ...DEFAULT_MIX,
  stallRate: 0.12,
  trickleRate: 0.1,
  textClasses: [...TEXT_CLASS_WEIGHTS, ['huge', 1]],
};

export interface LoadRecord {
  seq: number;
  caseId: string;
  textClass: string;
  voice: string;
  format: Format;
  mode: Mode;
  clientFault: SpeechPlan['clientFault'];
  burst: boolean;
  status: number;
  outcome: Verdict['outcome'];
  detail?: string;
  exact?: boolean;
  audioSeconds?: number;
  ttfbMs?: number;
  latencyMs: number;
  /** ms since load start. */
  startMs: number;
  endMs: number;
  /** Retry-After of a rejection, in seconds. */
  retryAfterS?: number;
  /** The server cut the response visibly (reset / 5xx) rather than ending it normally. */
  visibleFailure: boolean;
}

/** The plan for request number seq depends only on (seed, seq), not on timing. */
export function planFor(seed: number, seq: number, mix: LoadMix, usable: readonly SpeechCase[], burst = false): SpeechPlan {
  const rng = createRng((seed * 2654435761 + seq * 40503) >>> 0);
  const textClass = burst ? 'short' : rng.weighted(mix.textClasses);
  const pool = usable.filter((c) => c.textClass === textClass);
  const speechCase = rng.pick(pool.length ? pool : usable);
  const format = rng.pick(mix.formats);
  const drawn = rng.weighted(mix.modes);
  const mode = speechCase.textClass === 'huge' ? 'file' : drawn;
  const roll = rng.next();
  const faults: [SpeechPlan['clientFault'], number][] = [['abort', mix.abortRate], ['slowReader', mix.slowReaderRate], ['stall', mix.stallRate], ['trickle', mix.trickleRate]];
  let clientFault: SpeechPlan['clientFault'] = 'none';
  let edge = 0;
  for (const [f, rate] of faults) {
    edge += rate;
    if (roll < edge) {
      clientFault = f;
      break;
    }
  }
  // A trickle through a huge file would outlast the request timeout: huge files are read at full speed or stalled.
  if (burst || (clientFault === 'trickle' && speechCase.textClass === 'huge')) clientFault = 'none';
  return {
    seq,
    speechCase,
    format,
    mode,
    clientFault,
    abortAfterBytes: clientFault === 'abort' ? rng.int(1, 16_000) : undefined,
    burst,
  };
}

export interface LoadOptions {
  client: ClientConfig;
  seed: number;
  concurrency: number;
  durationMs: number;
  burstSize: number;
  mix: LoadMix;
  /** Cases that have a reference (others are not sent). */
  usable: readonly SpeechCase[];
  verify: (r: SpeechResult) => Promise<Verdict>;
  log: (line: string) => void;
}

export class LoadRunner {
  readonly records: LoadRecord[] = [];
  private seq = 0;
  private t0 = 0;
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly o: LoadOptions) {}

  get startedAt(): number {
    return this.t0;
  }

  get done(): boolean {
    return this.stopped;
  }

  /** Runs until the duration is over, then waits for every request in flight. */
  async run(): Promise<void> {
    this.t0 = performance.now();
    const deadline = this.t0 + this.o.durationMs;
    const worker = async () => {
      while (performance.now() < deadline) {
        const rec = await this.one(false);
        // A refused worker honours Retry-After (capped, so the run keeps its pace) instead of
        // hammering admission in a tight loop.
        if (rec.outcome === 'rejected' || rec.outcome === 'badRejection') {
          const wait = Math.min(5, Math.max(0.75, rec.retryAfterS ?? 0.75));
          await new Promise((r) => setTimeout(r, wait * 1000));
        }
      }
    };
    await Promise.all(Array.from({ length: this.o.concurrency }, worker));
    this.stopped = true;
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /** Fires burstSize short requests at once, without waiting for them. */
  burst(): void {
    for (let i = 0; i < this.o.burstSize; i++) {
      const p: Promise<void> = this.one(true).then(() => undefined).finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }

  private async one(burst: boolean): Promise<LoadRecord> {
    const plan = planFor(this.o.seed, this.seq++, this.o.mix, this.o.usable.length ? this.o.usable : CASES, burst);
    const startMs = performance.now() - this.t0;
    const result = await sendSpeech(this.o.client, plan);
    const endMs = performance.now() - this.t0;
    let verdict: Verdict;
    if (plan.clientFault === 'stall' && result.status === 200 && !result.complete && !result.abortedByClient) {
      // We stopped reading on purpose and the gateway cut us (CLIENT_STALL_MS): expected, counted
      // apart, and checked against the gateway's own count (kokoro_client_stalls_total) at the end.
      verdict = { outcome: 'stalledCut', detail: result.error };
    } else {
      try {
        verdict = await this.o.verify(result);
      } catch (err) {
        verdict = { outcome: 'corrupt', detail: `verifier failed: ${(err as Error).message}` };
      }
    }
    const rec: LoadRecord = {
      seq: plan.seq,
      caseId: plan.speechCase.id,
      textClass: plan.speechCase.textClass,
      voice: plan.speechCase.voice,
      format: plan.format,
      mode: plan.mode,
      clientFault: plan.clientFault,
      burst,
      status: result.status,
      outcome: verdict.outcome,
      detail: verdict.detail,
      exact: verdict.exact,
      audioSeconds: verdict.audioSeconds,
      ttfbMs: result.ttfbMs,
      latencyMs: result.latencyMs,
      startMs,
      endMs,
      retryAfterS: Number(result.headers['retry-after']) || undefined,
      visibleFailure: !result.abortedByClient && (result.status >= 500 || (result.status === 200 && (!result.complete || verdict.sseError === true)) || result.status === 0),
    };
    this.records.push(rec);
    if (!['ok', 'rejected', 'aborted', 'stalledCut'].includes(rec.outcome)) {
      this.o.log(`#${rec.seq} ${rec.format}/${rec.mode} ${rec.caseId}: ${rec.outcome} ${rec.detail ?? ''}`);
    }
    return rec;
  }
}

export { casesOf };
