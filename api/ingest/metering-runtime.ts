import type { DatabasePool } from 'slonik';
import type { ClickHouseClient } from '@clickhouse/client';
import { createUsageEventWriter, type PendingRow } from '../../db/clickhouse/usage-writer.ts';
import { createPgFlushLock } from './flush-lock.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { createMeterCatalog, type MeterCatalog } from '../meters/meter-catalog.ts';
import { createBatcher, type Batcher, type BatcherOptions, type BatchWriter } from './batcher.ts';
import { createTenantDirectory, type TenantDirectory } from './tenant-directory.ts';
import { createLateUsageHorizons, type LateUsageHorizons } from './late-usage-horizons.ts';
import { limitCountersHook } from './limit-counters-hook.ts';
import { createLimitWarnings, type LimitWarnings } from './limit-warnings.ts';
import { createLimitCounters, type LimitCounters } from '../limits/limit-counters.ts';

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
  /** The usage limits' counters, bumped by every flush and reconciled by a periodic pass. */
  limitCounters: LimitCounters;
  /** Ingest's limit_exceeded warnings. */
  limitWarnings: LimitWarnings;
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
  /** How often the usage-limit counters are reconciled with ClickHouse (default 60 s; 0: never, not even at start). */
  reconcileEveryMs?: number;
}): MeteringRuntime {
  const metrics = deps.metrics ?? createMetrics();
  const lock = createPgFlushLock(deps.pg);
  const limitCounters = createLimitCounters({ pg: deps.pg, clickhouse: deps.clickhouse, lock });
  const writer =
    deps.writer ??
    createUsageEventWriter(deps.clickhouse, { lock, beforeInsert: limitCountersHook({ pg: deps.pg, counters: limitCounters }) });
  const batcher = createBatcher<PendingRow>(writer, { ...DEFAULT_INGEST_OPTIONS, ...deps.options }, metrics);
  const reconcileEveryMs = deps.reconcileEveryMs ?? 60_000;
  // A pass on start corrects what a crash between a bump and its inserts over-counted; later
  // passes catch the rest. Advisory: a failed pass is tried again at the next tick.
  let reconciling: Promise<unknown> = Promise.resolve();
  const reconcile = () => {
    reconciling = reconciling.then(() => limitCounters.reconcilePass()).catch(() => undefined);
  };
  const timer = reconcileEveryMs > 0 ? setInterval(reconcile, reconcileEveryMs) : null;
  timer?.unref();
  if (reconcileEveryMs > 0) reconcile();
  return {
    limitCounters,
    limitWarnings: createLimitWarnings(deps.pg),
    metrics,
    batcher,
    meters: createMeterCatalog(deps.pg),
    tenants: createTenantDirectory(deps.pg),
    horizons: createLateUsageHorizons(deps.pg),
    stop: async () => {
      if (timer) clearInterval(timer);
      await batcher.stop();
      await reconciling;
    },
  };
}
