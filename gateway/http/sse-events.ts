// The SSE stream of POST /v1/audio/speech (`stream_format: "sse"`): every event is one
// `data: {json}\n\n` line written, in order, to the request's delivery buffer, so audio deltas
// and any other event type (done, error, and whatever comes later) can never overtake each other.
import type { OpenAIErrorBody } from './api-error.js';

export interface ByteSink {
  write(chunk: Buffer): boolean;
}

export class SseEvents {
  constructor(private readonly out: ByteSink) {}

  /** One event; its `type` names it. false: the sink asks its writer to wait (see DeliveryBuffer). */
  send(event: { type: string } & Record<string, unknown>): boolean {
    return this.out.write(Buffer.from(`data: ${JSON.stringify(event)}\n\n`));
  }

  audio(bytes: Buffer): boolean {
    return this.send({ type: 'speech.audio.delta', audio: bytes.toString('base64') });
  }

  done(usage: { input_tokens: number; output_tokens: number; total_tokens: number }): void {
    this.send({ type: 'speech.audio.done', usage });
  }

  /** The stream failed after it started: OpenAI's error shape, then the end. */
  error(body: OpenAIErrorBody): void {
    this.send({ type: 'error', error: body.error });
  }
}
