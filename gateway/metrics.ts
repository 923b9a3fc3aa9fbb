// Prometheus metrics for the gateway: one registry per gateway (tests build several), with
// Node's process metrics. The HTTP front drives the request metrics; supervision, admission
// and the encoder pool drive the rest through the named fields.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { type AudioFormat } from '../audio/encode/types.js';

/** Idle encoders waiting per format, read at scrape time. */
export type EncoderPoolSizes = () => Partial<Record<AudioFormat, number>>;

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Speech requests by format, HTTP status and outcome (ok, client_error, server_error, client_gone, truncated). */
  readonly requests: Counter<'format' | 'status' | 'outcome'>;
  /** Whole speech request time in seconds, by format. */
  readonly latency: Histogram<'format'>;
  /** Time from request start to the first audio byte handed to the socket, by format. */
  readonly ttfb: Histogram<'format'>;
  /** Speech requests in progress, by format. */
  readonly inFlight: Gauge<'format'>;
  /** Seconds of audio delivered, by format. */
  readonly audioSeconds: Counter<'format'>;
  /** Encoders that died before the first byte and were replaced by a fresh one. */
  readonly encoderReplacements: Counter<'format'>;
  /** Clients disconnected for accepting no byte for CLIENT_STALL_MS, by format. */
  readonly clientStalls: Counter<'format'>;
  /** Requests whose buffered output went to a spill file, by format. */
  readonly spills: Counter<'format'>;
  /** Warm encoder pool sizes; the encoder module supplies the numbers. */
  readonly encoderPool: Gauge<'format'>;
  setEncoderPoolSizes(read: EncoderPoolSizes): void;
  /** Engine process restarts, by engine id. */
  readonly engineRestarts: Counter<'engine'>;
  /** Requests resumed on another engine, by reason (exit, stall, error, ...). */
  readonly retries: Counter<'reason'>;
  /** Engines ready to take work. */
  readonly enginesReady: Gauge;
  /** Requests waiting in the admission queue, by format. */
  readonly admissionQueueDepth: Gauge<'format'>;
  /** Seconds a request waited for an admission slot, by format. */
  readonly admissionQueueWait: Histogram<'format'>;
  /** Requests refused by admission, by reason (queue_full, wait_timeout, no_engine, ...). */
  readonly admissionRejections: Counter<'reason'>;
  /** Chunk cache hits, by tier (memory, disk). */
  readonly cacheHits: Counter<'tier'>;
  /** Chunk cache misses (the chunk was synthesized, or joined a synthesis in flight). */
  readonly cacheMisses: Counter;
  /** Bytes held by the chunk cache, by tier. */
  readonly cacheBytes: Gauge<'tier'>;
  /** Chunk cache entries evicted to stay within size, by tier. */
  readonly cacheEvictions: Counter<'tier'>;
  /** Chunks served by joining another request's synthesis of the same chunk (single flight). */
  readonly chunksShared: Counter;
  /** Chunks sent with the wide hint (every other engine idle: the engine may use all cores). */
  readonly chunksWide: Counter;
}

// Speech latency spans a short sentence to an audiobook chapter.
const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600];
const TTFB_BUCKETS = [0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30];
const WAIT_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let poolSizes: EncoderPoolSizes = () => ({});

  return {
    registry,
    requests: new Counter({
      name: 'kokoro_speech_requests_total',
      help: 'Speech requests by format, status and outcome',
      labelNames: ['format', 'status', 'outcome'] as const,
      registers,
    }),
    latency: new Histogram({
      name: 'kokoro_speech_duration_seconds',
      help: 'Speech request duration, start to last byte',
      labelNames: ['format'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    ttfb: new Histogram({
      name: 'kokoro_speech_first_byte_seconds',
      help: 'Time to the first audio byte',
      labelNames: ['format'] as const,
      buckets: TTFB_BUCKETS,
      registers,
    }),
    inFlight: new Gauge({
      name: 'kokoro_speech_in_flight',
      help: 'Speech requests in progress',
      labelNames: ['format'] as const,
      registers,
    }),
    audioSeconds: new Counter({
      name: 'kokoro_audio_seconds_total',
      help: 'Seconds of audio delivered',
      labelNames: ['format'] as const,
      registers,
    }),
    encoderReplacements: new Counter({
      name: 'kokoro_encoder_replacements_total',
      help: 'Encoders that died before the first byte and were replaced',
      labelNames: ['format'] as const,
      registers,
    }),
    clientStalls: new Counter({
      name: 'kokoro_client_stalls_total',
      help: 'Clients disconnected for accepting no byte for CLIENT_STALL_MS',
      labelNames: ['format'] as const,
      registers,
    }),
    spills: new Counter({
      name: 'kokoro_request_spills_total',
      help: 'Requests whose buffered output went beyond REQUEST_BUFFER_KB into a private spill file',
      labelNames: ['format'] as const,
      registers,
    }),
    encoderPool: new Gauge({
      name: 'kokoro_encoder_pool_idle',
      help: 'Warm encoders waiting, by format',
      labelNames: ['format'] as const,
      registers,
      collect() {
        this.reset();
        for (const [format, n] of Object.entries(poolSizes())) if (n !== undefined) this.set({ format }, n);
      },
    }),
    setEncoderPoolSizes(read: EncoderPoolSizes) {
      poolSizes = read;
    },
    engineRestarts: new Counter({
      name: 'kokoro_engine_restarts_total',
      help: 'Engine process restarts',
      labelNames: ['engine'] as const,
      registers,
    }),
    retries: new Counter({
      name: 'kokoro_speech_retries_total',
      help: 'Requests resumed on another engine, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    enginesReady: new Gauge({ name: 'kokoro_engines_ready', help: 'Engines ready to take work', registers }),
    admissionQueueDepth: new Gauge({
      name: 'kokoro_admission_queue_depth',
      help: 'Requests waiting for an admission slot',
      labelNames: ['format'] as const,
      registers,
    }),
    admissionQueueWait: new Histogram({
      name: 'kokoro_admission_wait_seconds',
      help: 'Time spent waiting for an admission slot',
      labelNames: ['format'] as const,
      buckets: WAIT_BUCKETS,
      registers,
    }),
    admissionRejections: new Counter({
      name: 'kokoro_admission_rejections_total',
      help: 'Requests refused by admission, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    cacheHits: new Counter({ name: 'kokoro_cache_hits_total', help: 'Chunk cache hits, by tier', labelNames: ['tier'] as const, registers }),
    cacheMisses: new Counter({ name: 'kokoro_cache_misses_total', help: 'Chunk cache misses', registers }),
    cacheBytes: new Gauge({ name: 'kokoro_cache_bytes', help: 'Bytes held by the chunk cache, by tier', labelNames: ['tier'] as const, registers }),
    cacheEvictions: new Counter({ name: 'kokoro_cache_evictions_total', help: 'Chunk cache evictions, by tier', labelNames: ['tier'] as const, registers }),
    chunksShared: new Counter({ name: 'kokoro_chunks_shared_total', help: 'Chunks that joined a synthesis already in flight for another request', registers }),
    chunksWide: new Counter({ name: 'kokoro_chunks_wide_total', help: 'Chunks sent to an engine as its wide-session work: no other chunk was running or waiting', registers }),
  };
}
