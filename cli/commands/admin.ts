import { parseArgs } from 'node:util';
import type { Config } from '../config/env-schema.ts';
import { createLogger } from '../logger.ts';
import { Lifecycle } from '../lifecycle.ts';
import { openStack } from '../stack/open-stack.ts';
import { createAdmin } from '../admin/create-admin.ts';

const USAGE = 'usage: meterplane admin create --email <email> --password <password>';

/** `meterplane admin create`: bootstrap an operator admin (PostgreSQL only). */
export async function admin(config: Config, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { email: { type: 'string' }, password: { type: 'string' } }, strict: true });
  if (sub !== 'create' || !values.email || !values.password) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const life = new Lifecycle((line) => logger.info(line));
  try {
    const stack = await openStack(config, logger, life, { migrate: true, temporal: false, clickhouse: false });
    const user = await createAdmin(stack.pg, values.email, values.password);
    process.stdout.write(`created admin ${user.email} (${user.id})\n`);
  } catch (err) {
    process.stderr.write(`meterplane admin: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await life.stopAll();
  }
}
