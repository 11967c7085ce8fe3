import { join, resolve } from 'node:path';
import type { Config } from '../config/env-schema.ts';
import { connectClickHouse, type ClickHouse } from '../../db/clickhouse/client.ts';
import { migrateClickHouse } from '../../db/clickhouse/migrate.ts';

/**
 * CLICKHOUSE_URL when set, else the embedded engine (chdb) under DATA_DIR. With CLICKHOUSE_CLUSTER
 * the client sends the cluster settings and migrating only checks and records (db/clickhouse/migrate.ts).
 */
export async function openClickHouse(config: Config, opts: { migrate: boolean; log: (line: string) => void }): Promise<ClickHouse> {
  const ch = await connectClickHouse(
    config.CLICKHOUSE_URL
      ? {
          kind: 'server',
          url: config.CLICKHOUSE_URL,
          username: config.CLICKHOUSE_USER,
          password: config.CLICKHOUSE_PASSWORD,
          database: config.CLICKHOUSE_DATABASE,
          ...(config.CLICKHOUSE_CLUSTER ? { cluster: config.CLICKHOUSE_CLUSTER } : {}),
        }
      : { kind: 'embedded', path: resolve(join(config.DATA_DIR, 'clickhouse')) },
  );
  if (opts.migrate || ch.target.kind === 'embedded') {
    const ran = await migrateClickHouse(ch.client, undefined, { cluster: ch.target.cluster });
    if (ran.length) opts.log(`ClickHouse migrations applied: ${ran.join(', ')}`);
  }
  return ch;
}
