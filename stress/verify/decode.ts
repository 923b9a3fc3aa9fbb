// Decodes a response body to 24 kHz mono s16 PCM. wav and pcm are parsed here; the rest go
// through an ffmpeg child, whose error output tells us the container was damaged.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DamagedAudioError, decodeToPcm } from '../../harness/audio/decode.js';
import { parseWav, RATE, s16 } from './pcm.js';
import { type AudioFormat } from '../../audio/encode/types.js';

export interface Decoded {
  samples: Int16Array;
  /** Decoder complaints; non-empty means the container or stream is damaged. */
  errors: string[];
}

let cachedFfmpeg: string | undefined;

export function ffmpegPath(): string {
  if (cachedFfmpeg) return cachedFfmpeg;
  if (process.env.FFMPEG_PATH && existsSync(process.env.FFMPEG_PATH)) cachedFfmpeg = process.env.FFMPEG_PATH;
  else if (existsSync('/usr/bin/ffmpeg')) cachedFfmpeg = '/usr/bin/ffmpeg';
  else {
    const require = createRequire(import.meta.url);
    cachedFfmpeg = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  }
  return cachedFfmpeg;
}

const FFMPEG_FORMATS = new Set(['mp3', 'opus', 'aac', 'flac']);

/**
 * The project's decoder (container checks included) judges the bytes; when it calls them
 * damaged we still decode what we can, so the verdict can tell a lost tail from noise.
 */
export async function decodeAudio(data: Buffer, format: string, timeoutMs = 30_000): Promise<Decoded> {
  if (!FFMPEG_FORMATS.has(format)) return decodeRaw(data, format, timeoutMs);
  try {
    return { samples: await decodeToPcm(data, format as AudioFormat), errors: [] };
  } catch (err) {
    if (!(err instanceof DamagedAudioError)) throw err;
    const salvage = await decodeWithFfmpeg(data, timeoutMs);
    return { samples: salvage.samples, errors: [err.message, ...salvage.errors] };
  }
}

/** Own decoding: wav/pcm parsed here, the rest through an ffmpeg pipe. */
export async function decodeRaw(data: Buffer, format: string, timeoutMs = 30_000): Promise<Decoded> {
  if (format === 'pcm') {
    return { samples: s16(data), errors: data.length % 2 ? ['odd byte count for s16 pcm'] : [] };
  }
  if (format === 'wav') {
    try {
      const wav = parseWav(data);
      const errors: string[] = [];
      if (wav.sampleRate !== RATE || wav.channels !== 1 || wav.bitsPerSample !== 16) {
        errors.push(`unexpected wav layout ${wav.sampleRate} Hz ${wav.channels} ch ${wav.bitsPerSample} bit`);
      }
      if (wav.data.length % 2) errors.push('odd byte count in wav data');
      return { samples: s16(wav.data), errors };
    } catch (err) {
      return { samples: new Int16Array(0), errors: [(err as Error).message] };
    }
  }
  return decodeWithFfmpeg(data, timeoutMs);
}

function decodeWithFfmpeg(data: Buffer, timeoutMs: number): Promise<Decoded> {
  return new Promise((resolve) => {
    const child = spawn(
      ffmpegPath(),
      ['-nostdin', '-hide_banner', '-v', 'error', '-i', 'pipe:0', '-f', 's16le', '-ac', '1', '-ar', String(RATE), 'pipe:1'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => {
      err += '\ndecoder timed out';
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdin.on('error', () => {}); // ffmpeg may stop reading a broken stream early
    child.on('error', (e) => {
      err += `\n${e.message}`;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const errors = err.split('\n').map((l) => l.trim()).filter(Boolean);
      if (code !== 0) errors.push(`ffmpeg exited with ${code}`);
      resolve({ samples: s16(Buffer.concat(out)), errors });
    });
    child.stdin.end(data);
  });
}
