// Turns an encoded response back into s16le mono 24 kHz samples, for tests, the stress suite
// and benchmarks. Rejects damaged or truncated input rather than returning what it could read.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flacDeclaredSamples, mp3Problem, oggProblem } from './container-check.js';
import { resolveFfmpeg } from '../../audio/encode/ffmpeg-binary.js';
import { isFfmpegFormat, demuxerFor } from '../../audio/encode/formats.js';
import { OPEN_ENDED_SIZE } from '../../audio/encode/wav-header.js';
import { type AudioFormat } from '../../audio/encode/types.js';
import { SAMPLE_RATE } from '../../protocol/constants.js';

export class DamagedAudioError extends Error {
  override name = 'DamagedAudioError';
}

export async function decodeToPcm(data: Buffer, format: AudioFormat): Promise<Int16Array> {
  if (format === 'pcm') return pcmSamples(data);
  if (format === 'wav') return wavSamples(data);
  if (!isFfmpegFormat(format)) throw new Error(`unknown format ${String(format)}`);
  const problem = format === 'opus' ? oggProblem(data) : format === 'mp3' ? mp3Problem(data) : undefined;
  if (problem) throw new DamagedAudioError(`${format}: ${problem}`);
  const samples = await ffmpegDecode(data, demuxerFor(format));
  const declared = format === 'flac' ? flacDeclaredSamples(data) : undefined;
  if (declared && declared !== samples.length) {
    throw new DamagedAudioError(`flac: STREAMINFO declares ${declared} samples, decoded ${samples.length}`);
  }
  return samples;
}

/** Seconds of audio in decoded samples (or a sample count) at 24 kHz. */
export function durationSeconds(samples: Int16Array | number): number {
  return (typeof samples === 'number' ? samples : samples.length) / SAMPLE_RATE;
}

/** Decoded duration of an encoded response, in seconds. */
export async function decodedDurationSeconds(data: Buffer, format: AudioFormat): Promise<number> {
  return durationSeconds(await decodeToPcm(data, format));
}

function pcmSamples(bytes: Buffer): Int16Array {
  if (bytes.length % 2) throw new DamagedAudioError('pcm: odd byte count');
  const copy = new Int16Array(bytes.length / 2);
  Buffer.from(copy.buffer).set(bytes);
  return copy;
}

function wavSamples(data: Buffer): Int16Array {
  if (data.length < 12 || data.toString('latin1', 0, 4) !== 'RIFF' || data.toString('latin1', 8, 12) !== 'WAVE') {
    throw new DamagedAudioError('wav: no RIFF/WAVE header');
  }
  let pos = 12;
  let fmtOk = false;
  while (pos + 8 <= data.length) {
    const id = data.toString('latin1', pos, pos + 4);
    const size = data.readUInt32LE(pos + 4);
    const body = pos + 8;
    if (id === 'fmt ') {
      const pcm16mono24k = data.readUInt16LE(body) === 1 && data.readUInt16LE(body + 2) === 1
        && data.readUInt32LE(body + 4) === SAMPLE_RATE && data.readUInt16LE(body + 14) === 16;
      if (!pcm16mono24k) throw new DamagedAudioError('wav: not 16-bit PCM mono 24 kHz');
      fmtOk = true;
    } else if (id === 'data') {
      if (!fmtOk) throw new DamagedAudioError('wav: data before fmt');
      // An open-ended (streamed) header: the samples run to the end of the bytes.
      if (size === OPEN_ENDED_SIZE) return pcmSamples(data.subarray(body));
      if (body + size > data.length) throw new DamagedAudioError(`wav: header declares ${size} data bytes, ${data.length - body} present`);
      return pcmSamples(data.subarray(body, body + size));
    }
    pos = body + size + (size & 1);
  }
  throw new DamagedAudioError('wav: no data chunk');
}

/**
 * ffmpeg at -v error: anything it prints means the stream was not clean. It reads from a
 * file, as a player does: from a pipe ffmpeg skips an mp3's encoder delay but keeps the
 * end padding its LAME frame declares.
 */
async function ffmpegDecode(data: Buffer, demuxer: string): Promise<Int16Array> {
  const dir = await mkdtemp(join(tmpdir(), 'kokoro-dec-'));
  const file = join(dir, `in.${demuxer}`);
  try {
    await writeFile(file, data);
    return await ffmpegDecodeFile(file, demuxer);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function ffmpegDecodeFile(file: string, demuxer: string): Promise<Int16Array> {
  const args = ['-hide_banner', '-nostdin', '-v', 'error', '-f', demuxer, '-i', file,
    '-f', 's16le', '-ac', '1', '-ar', String(SAMPLE_RATE), 'pipe:1'];
  return new Promise((resolve, reject) => {
    const child = spawn(resolveFfmpeg().path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) return reject(new DamagedAudioError(`${demuxer}: ffmpeg exited ${code ?? signal}: ${err.trim()}`));
      if (err.trim()) return reject(new DamagedAudioError(`${demuxer}: ${err.trim().split('\n')[0]}`));
      resolve(pcmSamples(Buffer.concat(out)));
    });
  });
}
