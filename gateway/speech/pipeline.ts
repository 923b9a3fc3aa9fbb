// One speech request from admission to the last encoded byte, independent of HTTP:
//   admission slot -> encoder session -> each audio chunk written -> finish -> release.
// It ends when synthesis and encoding end: a streaming caller whose sink never pushes back (the
// HTTP route's DeliveryBuffer) frees its slot and engines then, whatever its client does; a
// whole file comes back as a WholeFile held in a spool (memory, then a private spill file).
// One AbortController carries the request: the client leaving aborts it (ClientGoneError) and
// so does a failure, which stops the engine work too. The slot is released exactly once and
// the encoder never outlives the call.
import { abortable } from './abortable.js';
import { applyGain } from './gain.js';
import { audioTooLong, checkAudioEstimate } from './audio-length.js';
import { DEFAULT_SPILL_MEMORY_BYTES, EncoderSession, newStats, type AudioSink, type PipelineStats, type WholeFile } from './encoder-session.js';
import type { SpillConfig } from './spill-file.js';
import { ClientGoneError, SpeechError } from './errors.js';
import type { Admission, Release, SpeechJob, SpeechSource } from './types.js';
import type { TimedWord } from '../captions/timing.js';
import { type AudioFormat, type EncoderFactory } from '../../audio/encode/types.js';
import { processTempDir } from '../../audio/encode/factory.js';
import { SAMPLE_RATE } from '../../protocol/constants.js';

export { newStats, type AudioSink, type PipelineStats, type WholeFile };

export interface PipelineDeps {
  source: SpeechSource;
  admission: Admission;
  encoders: EncoderFactory;
  /** Encoders tried in all, when one dies before the first byte went out (at least 1). */
  encoderAttempts: number;
  /** Memory bound and folder for kept PCM and whole files (default: 2 MiB, a private folder in the OS temp directory). */
  spill?: SpillConfig;
  /** MAX_AUDIO_SECONDS: checked on an estimate before admission and on the samples as they come (none if absent). */
  maxAudioSeconds?: number;
}

export function spillConfigOf(deps: PipelineDeps): SpillConfig {
  return deps.spill ?? { memoryBytes: DEFAULT_SPILL_MEMORY_BYTES, dir: processTempDir };
}

export interface PipelineRequest {
  job: SpeechJob;
  format: AudioFormat;
  /** false: the whole file is produced at once and returned. */
  streaming: boolean;
  /** The client's signal. */
  signal: AbortSignal;
  /** Receives encoded bytes as they come (streaming only). */
  sink?: AudioSink;
  /** Called once, just before the first byte goes to the sink. */
  onFirstByte?: () => void;
  stats?: PipelineStats;
  /**
   * Word timestamps (job.timestamps): a chunk's words, with the samples delivered before it,
   * called just before the chunk goes to the encoder.
   */
  onWords?: (words: readonly TimedWord[], offsetSamples: number) => void;
}

/** Runs the request; resolves with the whole file when not streaming (the caller disposes of it), else with undefined. */
export async function runSpeechPipeline(deps: PipelineDeps, req: PipelineRequest): Promise<WholeFile | undefined> {
  const stats = req.stats ?? newStats();
  if (req.streaming && !req.sink) throw new TypeError('a streaming pipeline needs a sink');
  const maxSeconds = deps.maxAudioSeconds;
  if (maxSeconds !== undefined) checkAudioEstimate(req.job.text.length, req.job.speed, maxSeconds);
  const maxSamples = maxSeconds === undefined ? Infinity : maxSeconds * SAMPLE_RATE;
  const work = new AbortController();
  const clientGone = () => work.abort(new ClientGoneError());
  if (req.signal.aborted) clientGone();
  else req.signal.addEventListener('abort', clientGone, { once: true });
  const { signal } = work;

  let release: Release | undefined;
  let session: EncoderSession | undefined;
  let events: AsyncIterator<unknown> | undefined;
  let succeeded = false;
  try {
    release = await abortable(deps.admission.acquire(req.format, signal), signal, (late) => late());
    session = new EncoderSession({
      encoders: deps.encoders, format: req.format, streaming: req.streaming, attempts: deps.encoderAttempts,
      signal, sink: req.sink, onFirstByte: req.onFirstByte, stats, spill: spillConfigOf(deps),
    });
    const source = deps.source.synthesize(req.job, signal)[Symbol.asyncIterator]();
    events = source;
    await session.start();
    let ended = false;
    let offset = 0; // samples delivered so far: the time line of word timestamps
    while (!ended) {
      const r = await abortable(source.next(), signal);
      if (r.done) break;
      const ev = r.value;
      if (ev.type === 'audio' && ev.words) req.onWords?.(ev.words, offset);
      if (ev.type === 'audio') offset += ev.samples.length;
      if (ev.type === 'audio' && ev.samples.length > 0) {
        stats.samples += ev.samples.length;
        if (stats.samples > maxSamples) throw audioTooLong(stats.samples / SAMPLE_RATE, maxSeconds!, false);
        await session.write(applyGain(ev.samples, req.job.volume ?? 1));
      } else if (ev.type === 'end') {
        stats.inputTokens = ev.inputTokens;
        ended = true;
      }
    }
    if (!ended) throw new SpeechError('cut_short', 'Speech synthesis ended early.');
    const body = await session.finish();
    succeeded = true;
    return body;
  } catch (e) {
    // Whatever broke while the client was leaving, the request's outcome is that it left.
    if (req.signal.aborted && !(e instanceof ClientGoneError)) throw new ClientGoneError();
    throw e;
  } finally {
    req.signal.removeEventListener('abort', clientGone);
    if (!succeeded) {
      session?.destroy();
      work.abort();
    }
    // Lets the source clean up; on failure the abort above already stopped the engine work.
    void events?.return?.()?.catch(() => {});
    release?.();
  }
}

/** The pipeline's dependencies from the HTTP settings (the HTTP route and Wyoming share them). */
export function pipelineDeps(
  parts: Pick<PipelineDeps, 'source' | 'admission' | 'encoders'>,
  config: { encoderAttempts: number; requestBufferBytes: number; maxAudioSeconds: number },
): PipelineDeps {
  return {
    ...parts,
    encoderAttempts: config.encoderAttempts,
    spill: { memoryBytes: config.requestBufferBytes, dir: () => parts.encoders.tempDir ?? processTempDir() },
    maxAudioSeconds: config.maxAudioSeconds,
  };
}
