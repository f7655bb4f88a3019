/** Structured JSON logs (pino). One logger is made by `createApp` and passed down; nothing logs globally. */
import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from '../config.js';

export type { Logger };

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'dmm-bot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Secrets must never reach the logs, even if a caller logs a whole config or request by mistake.
      redact: {
        paths: [
          'password',
          '*.password',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'token',
          '*.token',
          'secret',
          '*.secret',
        ],
        censor: '***',
      },
    },
    destination,
  );
}
