// Parses an SSE speech body: `speech.audio.delta` events carry base64 audio, then one
// `speech.audio.done`. Missing done means the stream was cut.

export interface SseAudio {
  audio: Buffer;
  deltas: number;
  done: boolean;
  problems: string[];
}

export function parseSpeechSse(body: string): SseAudio {
  const parts: Buffer[] = [];
  const problems: string[] = [];
  let deltas = 0;
  let done = false;
  for (const block of body.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    if (!data || data === '[DONE]') continue;
    let event: { type?: string; audio?: string };
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
    }
  }
  return { audio: Buffer.concat(parts), deltas, done, problems };
}
