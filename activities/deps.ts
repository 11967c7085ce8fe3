import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Client as TemporalClient } from '@temporalio/client';

/** What activities need from the outside world; cli/ builds it, tests build their own. */
export type ActivityDeps = {
  pg: DatabasePool;
  clickhouse: ClickHouseClient;
  /** For activities that start workflows (webhook deliveries). */
  temporal?: TemporalClient;
  /** The task queue those workflows run on (default `billing`). */
  taskQueue?: string;
};
