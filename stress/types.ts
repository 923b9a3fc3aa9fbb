// Shapes shared by the stress modules: what was sent, what came back, how it was judged.
import type { SpeechCase } from './corpus.js';

export const FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
export type Format = (typeof FORMATS)[number];
export type Mode = 'stream' | 'sse' | 'file';

/**
 * Client-side behaviour injected on purpose: abort mid-stream; read slowly for a few seconds;
 * stop reading for longer than the gateway's CLIENT_STALL_MS (a paused player); read at a
 * trickle from start to end.
 */
export type ClientFault = 'none' | 'abort' | 'slowReader' | 'stall' | 'trickle';

export interface SpeechPlan {
  seq: number;
  speechCase: SpeechCase;
  format: Format;
  mode: Mode;
  clientFault: ClientFault;
  /** For 'abort': bytes to read before aborting. */
  abortAfterBytes?: number;
  burst?: boolean;
}

export interface SpeechResult {
  plan: SpeechPlan;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The response ended normally (all bytes the server meant to send). */
  complete: boolean;
  /** Transport failure (reset, timeout), if any. */
  error?: string;
  /** We aborted on purpose. */
  abortedByClient: boolean;
  startedAt: number;
  ttfbMs?: number;
  latencyMs: number;
}

// stalledCut: a client that stopped reading on purpose was disconnected by the gateway (counted apart, like aborted).
export const OUTCOMES = ['ok', 'rejected', 'badRejection', 'aborted', 'stalledCut', 'lost', 'truncated', 'corrupt', 'mixedUp'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Verdict {
  outcome: Outcome;
  detail?: string;
  audioSeconds?: number;
  /** pcm/wav only: bytes identical to the reference. */
  exact?: boolean;
  ownScore?: number;
  /** SSE: the stream ended with an error event (a failure the client was told of). */
  sseError?: boolean;
}
