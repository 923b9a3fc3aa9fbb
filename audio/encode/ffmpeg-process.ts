// The one module that starts ffmpeg, through fluent-ffmpeg (swap it here and nowhere else).
// A child reads s16le on stdin and writes either to stdout or to a file; its fate (clean exit
// or not) is reported once, after the process has exited.
import type { ChildProcess } from 'node:child_process';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';

export interface FfmpegChild {
  readonly pid: number;
  readonly stdin: Writable;
  /** ffmpeg's stdout when writing to a pipe; ends at EOF, which alone proves nothing. */
  readonly stdout: Readable | undefined;
  /** The file ffmpeg writes, when not writing to a pipe. */
  readonly outputFile: string | undefined;
  /** Resolves once the process is gone: null after exit code 0, else why it failed. */
  readonly exited: Promise<Error | null>;
  readonly alive: boolean;
  /** SIGKILL, at once. */
  kill(): void;
}

export interface SpawnFfmpegOptions {
  binary: string;
  inputArgs: string[];
  outputArgs: string[];
  /** Write to this file instead of stdout. */
  outputFile?: string;
}

/** Starts one ffmpeg; resolves once it runs, rejects if it could not be started. */
export function spawnFfmpeg(opts: SpawnFfmpegOptions): Promise<FfmpegChild> {
  // Not emitting 'close' matters: fluent-ffmpeg kills the child 20 ms after its output
  // stream closes, which under load can come before ffmpeg's own clean exit.
  const stdout = opts.outputFile ? undefined : new PassThrough({ emitClose: false });
  const command = ffmpeg({ stdoutLines: 20 })
    .setFfmpegPath(opts.binary)
    .input('pipe:0')
    .inputOptions(['-hide_banner', '-nostats', '-loglevel', 'error', ...opts.inputArgs])
    .outputOptions(opts.outputArgs)
    .output(opts.outputFile ?? (stdout as PassThrough));

  let settle!: (err: Error | null) => void;
  const exited = new Promise<Error | null>((resolve) => (settle = resolve));
  command.on('end', () => settle(null));
  command.on('error', (err: Error, _out: unknown, stderr: unknown) => {
    const detail = typeof stderr === 'string' && stderr.trim() ? `: ${stderr.trim().slice(-500)}` : '';
    settle(new Error(`ffmpeg failed: ${err.message}${detail}`));
  });

  return new Promise<FfmpegChild>((resolve, reject) => {
    let started = false;
    command.on('start', () => {
      started = true;
      const proc = (command as unknown as { ffmpegProc: ChildProcess }).ffmpegProc;
      if (proc.pid === undefined) {
        // spawn failed (ENOENT, EACCES): the 'error' event follows.
        void exited.then((err) => reject(err ?? new Error('ffmpeg did not start')));
        return;
      }
      // A write to a dead child fails with EPIPE; that is reported through `exited`.
      proc.stdin!.on('error', () => {});
      resolve({
        pid: proc.pid,
        stdin: proc.stdin!,
        stdout,
        outputFile: opts.outputFile,
        exited,
        get alive() {
          return proc.exitCode === null && proc.signalCode === null;
        },
        kill: () => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
        },
      });
    });
    // Errors before 'start' (capability probe failed, ffmpeg missing).
    void exited.then((err) => {
      if (!started) reject(err ?? new Error('ffmpeg ended before it started'));
    });
    command.run();
  });
}
