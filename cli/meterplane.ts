#!/usr/bin/env node
import { loadConfig, ConfigError } from './config/load-config.ts';
import type { Config } from './config/env-schema.ts';
import { requireServers } from './commands/require-servers.ts';

const USAGE = `usage: meterplane <command>

  start     all-in-one development stack: API, worker and dashboard in one process,
            with embedded PostgreSQL, ClickHouse and the Temporal dev server where
            DATABASE_URL, CLICKHOUSE_URL or TEMPORAL_ADDRESS are not set
  api       the API role only, against configured servers (production)
  worker    the Temporal worker role only, against configured servers (production)
  migrate   apply PostgreSQL and ClickHouse migrations, then exit
  admin     admin create --email <email> --password <password>: create an operator admin
  seed      seed --email <admin> --password <pw> [--url]: load the demo into a running stack
`;

type Command = (config: Config, args: string[]) => Promise<void>;

const commands: Record<string, { run: () => Promise<Command>; servers?: string }> = {
  start: { run: async () => (await import('./commands/start.ts')).start },
  api: { run: async () => (await import('./commands/api.ts')).api, servers: 'api' },
  worker: { run: async () => (await import('./commands/worker.ts')).worker, servers: 'worker' },
  migrate: { run: async () => (await import('./commands/migrate.ts')).migrate },
  admin: { run: async () => (await import('./commands/admin.ts')).admin },
  seed: { run: async () => (await import('./commands/seed.ts')).seed },
};

function fail(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

const [name, ...args] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  process.stderr.write(USAGE);
  process.exit(name === undefined || name === 'help' || name === '--help' ? 0 : 2);
}

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) fail(`meterplane: configuration error: ${err.message}`);
  throw err;
}
if (command.servers) {
  const missing = requireServers(config, command.servers);
  if (missing) fail(`meterplane: ${missing}`);
}
await (
  await command.run()
)(config, args);
