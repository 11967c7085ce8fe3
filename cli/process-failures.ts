import type { Logger } from 'pino';
import type { Lifecycle } from './lifecycle.ts';

/**
 * What a long-running command does with failures nothing else caught.
 *
 * - An unhandled rejection is one operation's failure (a request, a background task) that
 *   lost its handler. Node would end the process for it, taking every other request, the
 *   worker and the dashboard with it; instead it is logged, with the promise's error and
 *   stack, and the command keeps serving.
 * - An uncaught exception was thrown synchronously out of some callback, possibly half way
 *   through changing shared state, so carrying on is not safe. It is logged, then everything
 *   is stopped in order (embedded PostgreSQL and the Temporal dev server included) and the
 *   process exits 1 for its supervisor to restart it.
 */
export function handleProcessFailures(logger: Logger, life: Lifecycle): void {
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled promise rejection; the operation failed, the process keeps serving');
  });
  process.on('uncaughtException', (err, origin) => {
    logger.fatal({ err, origin }, 'uncaught exception; stopping everything and exiting');
    life.shutdown(1, 'uncaught exception');
  });
}
