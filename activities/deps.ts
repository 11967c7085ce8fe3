import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';

/** What activities need from the outside world; cli/ builds it, tests build their own. */
export type ActivityDeps = {
  pg: DatabasePool;
  clickhouse: ClickHouseClient;
};
