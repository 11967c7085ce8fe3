import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'meterplane' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'password', '*.password', 'token', '*.token', 'key'],
      censor: '[redacted]',
    },
  });
}
