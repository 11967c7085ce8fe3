import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics, on a registry of its own (not prom-client's global
 * one), so two apps in one test process never register a metric twice.
 */
export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(opts: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'meterplane_' });
  return {
    registry,
    eventsAccepted: new Counter({
      name: 'meterplane_ingest_events_accepted_total',
      help: 'Usage events acknowledged with 202 (committed to ClickHouse), redeliveries included',
      registers: [registry],
    }),
    eventsRejected: new Counter({
      name: 'meterplane_ingest_events_rejected_total',
      help: 'Usage events refused, by reason (invalid, forbidden, fair_share, overloaded, stopped, storage_error)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    requestsRefusedUnread: new Counter({
      name: 'meterplane_ingest_requests_refused_unread_total',
      help: 'Ingest requests refused before their body was read (so their events were not counted), by reason (fair_share, overloaded, stopped)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    eventsDeduplicated: new Counter({
      name: 'meterplane_usage_events_deduplicated_total',
      help: 'Redeliveries that usage reads ignored because an earlier delivery of the same event id counted',
      registers: [registry],
    }),
    batchRows: new Histogram({
      name: 'meterplane_ingest_batch_rows',
      help: 'Rows per ClickHouse insert (group commit batch size)',
      buckets: [1, 10, 100, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000],
      registers: [registry],
    }),
    flushSeconds: new Histogram({
      name: 'meterplane_ingest_flush_seconds',
      help: 'Time to commit one batch to ClickHouse',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueRows: new Gauge({
      name: 'meterplane_ingest_queue_rows',
      help: 'Accepted rows waiting for or inside a ClickHouse insert',
      registers: [registry],
    }),
  };
}
