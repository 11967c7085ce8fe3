import type { Config } from '../config/env-schema.ts';

/**
 * The production roles run against shared servers. The embedded ClickHouse binds one
 * data directory to one process, so it cannot back separately scaled API and worker
 * processes; the same holds for the embedded PostgreSQL and Temporal dev server.
 */
export function requireServers(config: Config, role: string): string | undefined {
  if (!config.CLICKHOUSE_URL) {
    return `meterplane ${role} needs CLICKHOUSE_URL: the embedded ClickHouse engine binds its data directory to one process and cannot be shared between processes. Use \`meterplane start\` for the all-in-one stack.`;
  }
  if (!config.DATABASE_URL)
    return `meterplane ${role} needs DATABASE_URL (the app role's connection). Use \`meterplane start\` for the all-in-one stack.`;
  if (!config.TEMPORAL_ADDRESS) return `meterplane ${role} needs TEMPORAL_ADDRESS. Use \`meterplane start\` for the all-in-one stack.`;
  return undefined;
}
