import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Client as TemporalClient } from '@temporalio/client';
import type { ReadinessCheck } from './readiness.ts';

export const pgReadiness = (pg: DatabasePool): ReadinessCheck => ({
  name: 'postgres',
  check: () => pg.oneFirst(sql.type(z.object({ ok: z.number() }))`SELECT 1 AS ok`),
});

export const clickhouseReadiness = (ch: ClickHouseClient): ReadinessCheck => ({
  name: 'clickhouse',
  check: async () => {
    const r = await ch.ping();
    if (!r.success) throw r.error;
  },
});

export const temporalReadiness = (client: TemporalClient): ReadinessCheck => ({
  name: 'temporal',
  check: () => client.workflowService.getSystemInfo({}),
});

/** Everything an API or worker process depends on, as /ready checks it. */
export const dependencyChecks = (pg: DatabasePool, ch: ClickHouseClient, temporal: TemporalClient): ReadinessCheck[] => [
  pgReadiness(pg),
  clickhouseReadiness(ch),
  temporalReadiness(temporal),
];
