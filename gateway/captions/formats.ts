// Whole-file captions from word timestamps: WebVTT (W3C WebVTT) and SubRip (SRT). Words are
// grouped into cues of at most MAX_CUE_WORDS words / MAX_CUE_CHARS characters / MAX_CUE_SECONDS,
// and a cue also ends after a word that ends a sentence or before a pause of PAUSE_SECONDS.
import type { WordTimestamp } from './timing.js';

export type CaptionFormat = 'vtt' | 'srt';
export const CAPTION_FORMATS: readonly CaptionFormat[] = ['vtt', 'srt'];

export const MAX_CUE_WORDS = 12;
export const MAX_CUE_CHARS = 84; // two lines of 42, the usual subtitle line length
export const MAX_CUE_SECONDS = 6;
export const PAUSE_SECONDS = 0.6;

export interface Cue {
  start: number;
  end: number;
  text: string;
}

export function cues(words: readonly WordTimestamp[]): Cue[] {
  const out: Cue[] = [];
  let cur: WordTimestamp[] = [];
  const flush = () => {
    if (!cur.length) return;
    out.push({ start: cur[0]!.start_time, end: cur[cur.length - 1]!.end_time, text: cur.map((w) => w.word).join(' ') });
    cur = [];
  };
  for (const w of words) {
    if (cur.length) {
      const last = cur[cur.length - 1]!;
      const text = cur.map((x) => x.word).join(' ');
      if (cur.length >= MAX_CUE_WORDS || text.length + 1 + w.word.length > MAX_CUE_CHARS
        || w.end_time - cur[0]!.start_time > MAX_CUE_SECONDS || w.start_time - last.end_time >= PAUSE_SECONDS
        || /[.!?…]["'”’»)]*$/.test(last.word)) flush();
    }
    cur.push(w);
  }
  flush();
  return out;
}

/** `hh:mm:ss.mmm` (VTT) or `hh:mm:ss,mmm` (SRT). */
export function clock(seconds: number, sep: '.' | ','): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${sep}${pad(ms % 1000, 3)}`;
}

// A cue's text may not contain "-->" or a blank line; VTT also escapes & and <.
const oneLine = (s: string) => s.replace(/\s+/g, ' ').replaceAll('-->', '->');

export function toVtt(words: readonly WordTimestamp[]): string {
  const body = cues(words).map((c) => `${clock(c.start, '.')} --> ${clock(c.end, '.')}\n${oneLine(c.text).replaceAll('&', '&amp;').replaceAll('<', '&lt;')}\n`);
  return ['WEBVTT\n', ...body].join('\n');
}

export function toSrt(words: readonly WordTimestamp[]): string {
  return cues(words).map((c, i) => `${i + 1}\n${clock(c.start, ',')} --> ${clock(c.end, ',')}\n${oneLine(c.text)}\n`).join('\n');
}

export const CAPTION_CONTENT_TYPES: Readonly<Record<CaptionFormat, string>> = {
  vtt: 'text/vtt; charset=utf-8',
  srt: 'application/x-subrip; charset=utf-8',
};
