import { parseArgs } from 'node:util';
import type { Config } from '../config/env-schema.ts';
import { seedDemoAs } from '../seed/seed-as.ts';

const USAGE = 'usage: meterplane seed --email <admin email> --password <password> [--url http://127.0.0.1:4000]';

/** `meterplane seed`: loads the demo into a running Meterplane through its API. */
export async function seed(config: Config, args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { url: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' } },
    strict: true,
  });
  if (!values.email || !values.password) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const url = values.url ?? `http://127.0.0.1:${config.PORT}`;
  try {
    await seedDemoAs(url, { email: values.email, password: values.password }, (line) => process.stdout.write(`${line}\n`));
  } catch (err) {
    process.stderr.write(`meterplane seed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
