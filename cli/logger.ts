import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: 'meterplane' },
      redact: {
        paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'password', '*.password', 'token', '*.token', 'key'],
        censor: '[redacted]',
      },
    },
    // Synchronous writes: the lines that matter most are logged just before process.exit (an
    // uncaught exception, a failed start-up). pino's default destination writes asynchronously
    // on the libuv threadpool and flushes at exit only what is not already in flight, so while
    // the threadpool was busy such a line came out after the lines logged behind it, and is not
    // sure to come out at all. Nothing here logs per request, so the cost is a write per line.
    pino.destination({ dest: 1, sync: true }),
  );
}
