import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import { createUsageEventWriter, type PendingRow } from '../../db/clickhouse/usage-writer.ts';
import { createPgFlushLock } from './flush-lock.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { createMeterCatalog, type MeterCatalog } from '../meters/meter-catalog.ts';
import { createBatcher, type Batcher, type BatcherOptions, type BatchWriter } from './batcher.ts';
import { createTenantDirectory, type TenantDirectory } from './tenant-directory.ts';
import { createLateUsageHorizons, type LateUsageHorizons } from './late-usage-horizons.ts';

/**
 * What the metering routes share inside one process: the ingest batcher (the only
 * in-process state, and only until its insert commits), the metrics, and the caches of
 * meters and tenants. cli/ creates it and stops it on shutdown after the HTTP server, so
 * every request still in flight gets its insert; tests let createApp make a default one.
 */
export type MeteringRuntime = {
  metrics: Metrics;
  batcher: Batcher<PendingRow>;
  meters: MeterCatalog;
  tenants: TenantDirectory;
  /** Each tenant's subscriptions' late-usage horizons (ingest's late_beyond_horizon warning). */
  horizons: LateUsageHorizons;
  stop(): Promise<void>;
};

export const DEFAULT_INGEST_OPTIONS: BatcherOptions = { flushRows: 20_000, flushMs: 20, maxQueueRows: 200_000, flushConcurrency: 2 };

/** Batcher options from the configuration (cli/config: INGEST_*). */
export function ingestOptionsOf(c: {
  INGEST_FLUSH_ROWS: number;
  INGEST_FLUSH_MS: number;
  INGEST_MAX_QUEUE_ROWS: number;
  INGEST_FLUSH_CONCURRENCY: number;
}): BatcherOptions {
  return {
    flushRows: c.INGEST_FLUSH_ROWS,
    flushMs: c.INGEST_FLUSH_MS,
    maxQueueRows: c.INGEST_MAX_QUEUE_ROWS,
    flushConcurrency: c.INGEST_FLUSH_CONCURRENCY,
  };
}

export function createMeteringRuntime(deps: {
  pg: DatabasePool;
  clickhouse: ClickHouseClient;
  options?: Partial<BatcherOptions>;
  metrics?: Metrics;
  /** Replaces the ClickHouse writer (the benchmark's storage-less ceiling). */
  writer?: BatchWriter<PendingRow>;
}): MeteringRuntime {
  const metrics = deps.metrics ?? createMetrics();
  const writer = deps.writer ?? createUsageEventWriter(deps.clickhouse, { lock: createPgFlushLock(deps.pg) });
  const batcher = createBatcher<PendingRow>(writer, { ...DEFAULT_INGEST_OPTIONS, ...deps.options }, metrics);
  return {
    metrics,
    batcher,
    meters: createMeterCatalog(deps.pg),
    tenants: createTenantDirectory(deps.pg),
    horizons: createLateUsageHorizons(deps.pg),
    stop: () => batcher.stop(),
  };
}
