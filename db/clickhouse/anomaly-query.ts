import type { ClickHouseClient } from '@clickhouse/client';

/**
 * OPERATOR AGGREGATE, ACROSS ALL TENANTS. Every other ClickHouse builder takes one tenantId
 * (db/README.md, *clickhouse/*); this one deliberately does not, because the anomaly scan compares every
 * tenant's every event type with its own baseline in ONE query every scan interval. It is
 * run only by the anomaly-scan activity, never for a request, and its result is split per
 * tenant before anything else sees it. Values are bound parameters, never SQL text.
 *
 * What it returns: deduplicated event counts per (tenant, event type, day, bucket) for
 * `days + 1` spans of `buckets` buckets of `bucketMs`, each ending at the same time of day:
 *   day 0 is the span just before `windowEndMs`, day k the same span k days earlier;
 *   bucket 0 is the newest bucket of a span (counted back from its end).
 * Empty buckets are absent (count zero).
 *
 * Deduplicated as billing is: usage_events holds only first deliveries (deduplicated at ingest),
 * so this is a plain count. The sort key leads with tenant_id, so this cross-tenant read prunes
 * by month partition and by event_time granule ranges only; it reads (days + 1) × span of every
 * tenant's events.
 */
export type AnomalyCountsQuery = {
  /** Must be 'all-tenants': the caller states that it reads every tenant. */
  scope: 'all-tenants';
  /** Exclusive end of day 0's span (ms since the epoch). */
  windowEndMs: number;
  bucketMs: number;
  /** Buckets per span. */
  buckets: number;
  /** Baseline days before day 0. */
  days: number;
};

export type ClickHouseQuery = { query: string; query_params: Record<string, unknown> };

export type AnomalyCountRow = { tenantId: string; eventType: string; day: number; bucket: number; events: number };

const DAY_MS = 86_400_000;

export function allTenantsAnomalyCountsQuery(q: AnomalyCountsQuery): ClickHouseQuery {
  if (q.scope !== 'all-tenants') throw new Error('the anomaly counts query is an operator aggregate: scope must be all-tenants');
  for (const [name, v] of [
    ['windowEndMs', q.windowEndMs],
    ['bucketMs', q.bucketMs],
    ['buckets', q.buckets],
    ['days', q.days],
  ] as const) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer`);
  }
  const spanMs = q.bucketMs * q.buckets;
  if (spanMs >= DAY_MS) throw new Error('a span must be shorter than a day');
  const query = `SELECT tenant_id, event_type, toUInt32(intDiv(rel, {day_ms:Int64})) AS day, toUInt32(intDiv(rel % {day_ms:Int64}, {bucket_ms:Int64})) AS bucket, count() AS events
  FROM (
    SELECT tenant_id, event_type, {end_ms:Int64} - 1 - toUnixTimestamp64Milli(event_time) AS rel
    FROM usage_events
    WHERE event_time >= fromUnixTimestamp64Milli({start_ms:Int64}, 'UTC') AND event_time < fromUnixTimestamp64Milli({end_ms:Int64}, 'UTC')
  )
  WHERE rel >= 0 AND rel < {range_ms:Int64} AND rel % {day_ms:Int64} < {span_ms:Int64}
  GROUP BY tenant_id, event_type, day, bucket
  ORDER BY tenant_id, event_type, day, bucket`;
  const rangeMs = q.days * DAY_MS + spanMs;
  return {
    query: query.replace(/\s+/g, ' ').trim(),
    query_params: {
      day_ms: DAY_MS,
      bucket_ms: q.bucketMs,
      span_ms: spanMs,
      end_ms: q.windowEndMs,
      start_ms: q.windowEndMs - rangeMs,
      range_ms: rangeMs,
    },
  };
}

/** Runs the operator aggregate; counts come back as numbers (event counts, far below 2^53). */
export async function readAllTenantsAnomalyCounts(client: ClickHouseClient, q: AnomalyCountsQuery): Promise<AnomalyCountRow[]> {
  const { query, query_params } = allTenantsAnomalyCountsQuery(q);
  const rs = await client.query({ query, query_params, format: 'JSONEachRow' });
  const rows = await rs.json<{ tenant_id: string; event_type: string; day: number | string; bucket: number | string; events: string }>();
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    eventType: r.event_type,
    day: Number(r.day),
    bucket: Number(r.bucket),
    events: Number(r.events),
  }));
}
