import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { DatabasePool } from 'slonik';
import type { Client } from '@temporalio/client';
import type { ClickHouse } from '../../db/clickhouse/client.ts';
import type { Config } from '../config/env-schema.ts';
import type { Lifecycle } from '../lifecycle.ts';
import { openPostgres } from './postgres.ts';
import { openClickHouse } from './clickhouse.ts';
import { openTemporal, type TemporalEndpoint } from './temporal.ts';
import { loadOrCreateLocalSecrets } from './local-secrets.ts';
import { connectTemporalClient } from '../temporal/connect.ts';

export type Stack = {
  pg: DatabasePool;
  clickhouse: ClickHouse;
  temporal: TemporalEndpoint & { client: Client };
  jwtSecret: string;
};

/** `clickhouse: false` is for commands that may run beside a `start` owning the embedded engine. */
export type StackNeeds = { migrate: boolean; temporal: boolean; clickhouse?: boolean };

/**
 * Brings up what a command needs: configured servers where configured, embedded ones
 * otherwise. Everything opened is registered on `life` so a signal stops it.
 */
export async function openStack(config: Config, logger: Logger, life: Lifecycle, needs: StackNeeds): Promise<Stack> {
  await mkdir(config.DATA_DIR, { recursive: true });
  const secrets = await loadOrCreateLocalSecrets(config.DATA_DIR);
  const log = (line: string) => logger.debug(line.trim());
  const info = (line: string) => logger.info(line);

  const [pg, clickhouse, temporal] = await Promise.all([
    openPostgres(config, { migrate: needs.migrate, appRolePassword: secrets.appRolePassword, log: info, debug: log }).then((h) => {
      life.add('PostgreSQL', h.close, h.kill);
      return h;
    }),
    needs.clickhouse === false
      ? undefined
      : openClickHouse(config, { migrate: needs.migrate, log: info }).then((h) => {
          life.add('ClickHouse', h.close);
          return h;
        }),
    needs.temporal
      ? openTemporal(config, log).then(async (t) => {
          life.add('Temporal dev server', t.stop, t.kill);
          const c = await connectTemporalClient(t.target);
          life.add('Temporal client', c.close);
          return { ...t, client: c.client };
        })
      : undefined,
  ]);
  return {
    pg: pg.pool,
    clickhouse: clickhouse as ClickHouse,
    temporal: temporal as Stack['temporal'],
    jwtSecret: config.JWT_SECRET ?? secrets.jwtSecret,
  };
}
