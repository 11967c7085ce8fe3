import type { Logger } from 'pino';
import type { Config } from '../config/env-schema.ts';
import { createLogger } from '../logger.ts';
import { Lifecycle } from '../lifecycle.ts';
import { handleProcessFailures } from '../process-failures.ts';

/**
 * Runs a long-lived command: everything `body` starts is registered on the Lifecycle, which a
 * signal stops in reverse order; a failure during start-up stops what was started and exits 1.
 * Once running, a stray rejection is logged and the command keeps serving; an uncaught
 * exception stops everything and exits 1 (see process-failures.ts).
 */
export async function runService(config: Config, body: (s: { logger: Logger; life: Lifecycle }) => Promise<void>): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL);
  const life = new Lifecycle((line) => logger.info(line));
  life.exitOnSignals();
  handleProcessFailures(logger, life);
  try {
    await body({ logger, life });
  } catch (err) {
    logger.error({ err }, 'start-up failed');
    await life.stopAll();
    process.exit(1);
  }
}
