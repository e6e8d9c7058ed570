import { type Logger, pino } from 'pino';

/** JSON application logs on stdout. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { app: 'rauta' }, timestamp: pino.stdTimeFunctions.isoTime });
}
