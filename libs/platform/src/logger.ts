/** Structured JSON logs (pino). One root logger per process; components take a child with their name. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Never log credentials that end up in objects we log (connection strings, API keys, cookies).
    redact: { paths: ['databaseUrl', 'password', 'authorization', 'req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
  });
}
