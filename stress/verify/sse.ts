// Parses an SSE speech body: `speech.audio.delta` events carry base64 audio, then one
// `speech.audio.done`. Missing done means the stream was cut; an `error` event says so openly
// (the client was told, so the cut is visible, like a broken connection).

export interface SseAudio {
  audio: Buffer;
  deltas: number;
  done: boolean;
  /** The message of an `error` event, if the stream carried one. */
  error?: string;
  problems: string[];
}

export function parseSpeechSse(body: string): SseAudio {
  const parts: Buffer[] = [];
  const problems: string[] = [];
  let deltas = 0;
  let done = false;
  let error: string | undefined;
  for (const block of body.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    if (!data || data === '[DONE]') continue;
    let event: { type?: string; audio?: string; error?: { message?: string } };
    try {
      event = JSON.parse(data);
    } catch {
      problems.push('event data is not JSON');
      continue;
    }
    if (event.type === 'speech.audio.delta') {
      if (done) problems.push('delta after done');
      if (typeof event.audio !== 'string') problems.push('delta without audio');
      else parts.push(Buffer.from(event.audio, 'base64'));
      deltas++;
    } else if (event.type === 'speech.audio.done') {
      if (done) problems.push('second done event');
      done = true;
    } else if (event.type === 'error') {
      if (done) problems.push('error after done');
      error = event.error?.message ?? 'error event';
    }
  }
  return { audio: Buffer.concat(parts), deltas, done, ...(error !== undefined ? { error } : {}), problems };
}
