// Judges one response against the fault-free reference of the same request.
import type { SpeechResult, Verdict } from '../types.js';
import { decodeAudio } from './decode.js';
import { bestCorrelation, envelope, RATE, sampleCorrelation } from './pcm.js';
import { checkRejection } from './rejection.js';
import { parseSpeechSse } from './sse.js';

export interface Reference {
  caseId: string;
  samples: Int16Array;
  envelope: Float64Array;
}

export function makeReference(caseId: string, samples: Int16Array): Reference {
  return { caseId, samples, envelope: envelope(samples) };
}

export const TOLERANCE = {
  /** Shorter than the reference by more than this is a lost tail. */
  shortSeconds: 0.06,
  /** Longer than this is duplicated or foreign audio (codec padding stays well under). */
  longSeconds: 0.25,
  /** Envelope correlation with its own reference below this is damaged audio. */
  minEnvelopeScore: 0.8,
  /** pcm/wav: sample correlation below this is damaged audio. */
  minSampleScore: 0.9,
  /** Another reference must beat the own one by this much to call a mix-up. */
  mixUpMargin: 0.1,
};

export async function verifyResponse(r: SpeechResult, refs: ReadonlyMap<string, Reference>): Promise<Verdict> {
  if (r.abortedByClient) return { outcome: 'aborted' };
  if (r.status === 429 || r.status === 503) {
    const check = checkRejection(r.status, r.headers, r.body.toString('utf8'));
    return check.ok ? { outcome: 'rejected' } : { outcome: 'badRejection', detail: check.problems.join('; ') };
  }
  if (r.status === 0) return { outcome: 'lost', detail: r.error ?? 'no response' };
  if (r.status !== 200) return { outcome: 'lost', detail: `status ${r.status}: ${r.body.toString('utf8').slice(0, 200)}` };

  const { format, mode, speechCase } = r.plan;
  let audio = r.body;
  let sseError = false;
  let cut: string | undefined = r.complete ? undefined : `response cut: ${r.error ?? 'ended early'}`;
  if (mode === 'sse') {
    const sse = parseSpeechSse(r.body.toString('utf8'));
    if (sse.problems.length) return { outcome: 'corrupt', detail: `sse: ${sse.problems.join('; ')}` };
    if (sse.error !== undefined) sseError = true;
    if (!sse.done) cut ??= sse.error !== undefined ? `sse error event: ${sse.error}` : 'sse stream without speech.audio.done';
    audio = sse.audio;
  } else if (mode === 'file') {
    const len = r.headers['content-length'];
    if (len !== undefined && Number(len) !== r.body.length) cut ??= `content-length ${len} but ${r.body.length} bytes`;
  }

  const told = (v: Verdict): Verdict => (sseError ? { ...v, sseError } : v);
  const ref = refs.get(speechCase.id);
  if (!ref) return told({ outcome: cut ? 'truncated' : 'ok', detail: cut ?? 'no reference; not compared' });

  const decoded = await decodeAudio(audio, format);
  const samples = decoded.samples;
  const audioSeconds = samples.length / RATE;
  // A stream cut before any audio is a lost request; with some audio, a truncated one.
  if (samples.length < RATE * 0.02) return told({ outcome: cut ? 'lost' : 'corrupt', detail: cut ?? (decoded.errors.join('; ') || 'no audio') });

  const env = envelope(samples);
  const ownScore = bestCorrelation(env, ref.envelope);
  let bestOther: { id: string; score: number } | undefined;
  for (const other of refs.values()) {
    if (other.caseId === ref.caseId) continue;
    const score = bestCorrelation(env, other.envelope);
    if (!bestOther || score > bestOther.score) bestOther = { id: other.caseId, score };
  }
  if (bestOther && bestOther.score > 0.6 && bestOther.score > ownScore + TOLERANCE.mixUpMargin) {
    return told({ outcome: 'mixedUp', audioSeconds, ownScore, detail: `matches ${bestOther.id} (${bestOther.score.toFixed(2)}) better than own (${ownScore.toFixed(2)})` });
  }

  const diff = (samples.length - ref.samples.length) / RATE;
  if (cut || diff < -TOLERANCE.shortSeconds) {
    return told({ outcome: 'truncated', audioSeconds, ownScore, detail: cut ?? `${(-diff).toFixed(3)} s shorter than reference` });
  }
  if (decoded.errors.length) return told({ outcome: 'corrupt', audioSeconds, ownScore, detail: `decoder: ${decoded.errors.slice(0, 3).join('; ')}` });
  if (diff > TOLERANCE.longSeconds) return told({ outcome: 'corrupt', audioSeconds, ownScore, detail: `${diff.toFixed(3)} s longer than reference` });

  if (format === 'pcm' || format === 'wav') {
    const exact = samples.length === ref.samples.length && Buffer.compare(Buffer.from(samples.buffer), Buffer.from(ref.samples.buffer)) === 0;
    if (!exact) {
      const score = sampleCorrelation(samples, ref.samples);
      if (score < TOLERANCE.minSampleScore) {
        return told({ outcome: 'corrupt', audioSeconds, ownScore, exact, detail: `samples differ from reference (corr ${score.toFixed(3)})` });
      }
    }
    return told({ outcome: 'ok', audioSeconds, ownScore, exact });
  }
  if (ownScore < TOLERANCE.minEnvelopeScore) {
    return told({ outcome: 'corrupt', audioSeconds, ownScore, detail: `envelope correlation ${ownScore.toFixed(3)}` });
  }
  return told({ outcome: 'ok', audioSeconds, ownScore });
}
