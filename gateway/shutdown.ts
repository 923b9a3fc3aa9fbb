// The gateway's one way out: stop accepting, drain in-flight requests (up to DRAIN_MS), close
// the encoders, stop the engines, exit. SIGTERM/SIGINT take it with exit code 0; an uncaught
// exception or unhandled rejection takes it with EXIT_CRASH, because after one the process is
// in an unknown state: finishing what is in flight and letting pm2 or Kubernetes start a clean
// process beats carrying on.

/** EX_SOFTWARE: an internal error; pm2 and Kubernetes restart the process. */
export const EXIT_CRASH = 70;

/** What shutdown needs: the HTTP app (fastify), the encoders, the supervisor. */
export interface ShutdownDeps {
  app: { close(): Promise<unknown>; server: { closeIdleConnections(): void; closeAllConnections(): void } };
  /** The Wyoming server, when WYOMING_PORT is set: drained beside the HTTP app. */
  wyoming?: { close(): Promise<void>; closeAllConnections(): void };
  encoders: { close(): Promise<void> };
  supervisor: { stop(): Promise<void> };
  drainMs: number;
  log: {
    info(fields: Record<string, unknown>, msg: string): void;
    warn(fields: Record<string, unknown>, msg: string): void;
  };
  /** process.exit in production. */
  exit: (code: number) => void;
  /** Extra time, beyond the drain, that closing encoders and engines may take before a forced exit. */
  stopGraceMs?: number;
}

/** Returns `shutdown(reason, code)`: the first call runs it; later calls only raise the exit code. */
export function createShutdown(deps: ShutdownDeps): (reason: string, code?: number) => Promise<void> {
  let running: Promise<void> | null = null;
  let exitCode = 0;
  return (reason, code = 0) => {
    exitCode = Math.max(exitCode, code);
    if (running) return running;
    running = (async () => {
      deps.log.info({ reason, drainMs: deps.drainMs, exitCode }, 'shutting down: draining in-flight requests');
      // Whatever happens below (a crash left something wedged), the process does leave.
      const hard = setTimeout(() => {
        deps.log.warn({ reason }, 'shutdown took too long; exiting now');
        deps.exit(exitCode || EXIT_CRASH);
      }, deps.drainMs + (deps.stopGraceMs ?? 15_000));
      hard.unref();
      const drained = Promise.all([deps.app.close(), deps.wyoming?.close()]).then(() => true, () => true);
      // Keep-alive connections that finish a request during the drain go idle and would hold
      // close() until DRAIN_MS: close each as soon as it is idle.
      const reaper = setInterval(() => deps.app.server.closeIdleConnections(), 100);
      let drainTimer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((r) => {
        drainTimer = setTimeout(() => r(false), deps.drainMs);
        drainTimer.unref();
      });
      if (!(await Promise.race([drained, timedOut]))) {
        deps.log.warn({}, 'drain limit reached; closing remaining requests');
        deps.app.server.closeAllConnections();
        deps.wyoming?.closeAllConnections();
      }
      clearTimeout(drainTimer);
      clearInterval(reaper);
      await deps.encoders.close().catch(() => {});
      await deps.supervisor.stop().catch(() => {});
      clearTimeout(hard);
      deps.log.info({ exitCode }, 'stopped');
      deps.exit(exitCode);
    })();
    return running;
  };
}

/** The part of `process` the handlers use (a fake EventEmitter in tests). */
export interface CrashSource {
  on(event: 'uncaughtException', fn: (err: Error) => void): unknown;
  on(event: 'unhandledRejection', fn: (reason: unknown) => void): unknown;
}

/**
 * Logs an uncaught exception or unhandled rejection, then hands it to `onCrash` (shutdown with
 * EXIT_CRASH once the gateway runs; before that, exit at once).
 */
export function installCrashHandlers(proc: CrashSource, write: (line: string) => void, onCrash: (kind: string) => void): void {
  const handle = (kind: 'uncaught exception' | 'unhandled rejection', err: unknown) => {
    write(`${JSON.stringify({ level: 'error', time: Date.now(), msg: `${kind}: stopping (drain, then exit ${EXIT_CRASH})`, err: (err as Error)?.stack ?? String(err) })}\n`);
    onCrash(kind);
  };
  proc.on('uncaughtException', (err) => handle('uncaught exception', err));
  proc.on('unhandledRejection', (reason) => handle('unhandled rejection', reason));
}
