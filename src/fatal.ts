import type { Logger } from 'pino';

/**
 * The last line of defence: an exception nothing caught, or a promise rejection nothing handled, is a
 * bug, and the process state after it is unknown. Log it once through the application log (so it reaches
 * the same pipeline as everything else, not just stderr) and exit non-zero so the supervisor restarts us.
 */
export function installFatalHandlers(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): void {
  let dying = false;
  const die = (kind: string) => (err: unknown) => {
    if (dying) return;
    dying = true;
    try {
      logger.fatal({ err, kind }, `${kind}: exiting`);
    } catch {
      process.stderr.write(`rauta: ${kind}: ${String((err as Error | undefined)?.stack ?? err)}\n`);
    }
    exit(70); // EX_SOFTWARE: an internal error
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled promise rejection'));
}
