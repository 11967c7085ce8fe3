import type { ClickHouseClient } from '@clickhouse/client';
import { canonicalDecimal, parseJsonLossless, type Aggregation, type GroupKey, type Meter } from '../../domain/metering/index.ts';
import type { MeteredUsage } from '../../domain/billing/invoice-lines.ts';
import {
  meterDuplicatesQuery,
  meterEventsQuery,
  meterTimeseriesQuery,
  meterUsageByTenantQuery,
  meterUsageByWindowQuery,
  meterUsageQuery,
  type ClickHouseQuery,
} from './usage-query.ts';

/**
 * Reads metered usage from ClickHouse, exactly and deduplicated: usage_events holds only the
 * first accepted delivery of each event (tenant, source, id), written so at ingest. The API's usage routes and billing both call these functions, so an
 * invoice and the dashboard can never disagree. Values are decimal strings.
 */
export type UsageGroup = { key: GroupKey; value: string; events: number };

export type MeterUsage = {
  meter: string;
  aggregation: Aggregation;
  /** The aggregated quantity ("0" when no event qualifies). */
  value: string;
  /** Deduplicated events that qualified. */
  events: number;
  /** Later deliveries of those events, ignored by deduplication. */
  duplicates: number;
  groups?: UsageGroup[];
};

export type UsageRange = { tenantId: string; meter: Meter; from: Date; to: Date; groupBy?: readonly string[] };

type Row = { group_key: (string | null)[]; value: string; events: string };
type BucketRow = Row & { bucket: string };

async function rows<T>(client: ClickHouseClient, q: ClickHouseQuery): Promise<T[]> {
  const rs = await client.query({ query: q.query, query_params: q.query_params, format: 'JSONEachRow' });
  return rs.json<T>();
}

const keyOf = (groupBy: readonly string[], values: (string | null)[]): GroupKey =>
  Object.fromEntries(groupBy.map((p, i) => [p, values[i] ?? null]));

/** The later deliveries, ignored, of the events the meter counts in the window. */
async function duplicatesOf(client: ClickHouseClient, r: UsageRange): Promise<number> {
  const [row] = await rows<{ duplicates: string }>(
    client,
    meterDuplicatesQuery({ tenantId: r.tenantId, meter: r.meter, fromMs: r.from.getTime(), toMs: r.to.getTime() }),
  );
  return Number(row?.duplicates ?? 0);
}

const range = (r: UsageRange) => ({
  tenantId: r.tenantId,
  meter: r.meter,
  fromMs: r.from.getTime(),
  toMs: r.to.getTime(),
  ...(r.groupBy ? { groupBy: r.groupBy } : {}),
});

/**
 * A read in billing's terms (domain/billing MeteredUsage): the quantity, its events, and, for a
 * read grouped by one property (a rate card's priceBy), that property's values.
 */
export function meteredUsageOf(u: MeterUsage, groupBy: readonly string[] = []): MeteredUsage {
  const measured: MeteredUsage = { quantity: u.value, eventCount: String(u.events) };
  const [property, ...more] = groupBy;
  if (property === undefined || more.length > 0) return measured;
  const values = (u.groups ?? []).map((g) => ({ value: g.key[property] ?? null, quantity: g.value, eventCount: String(g.events) }));
  return { ...measured, dimensions: { [property]: values } };
}

/** A meter's usage for one tenant in [from, to), with groups when `groupBy` is given. */
export async function readMeterUsage(client: ClickHouseClient, r: UsageRange): Promise<MeterUsage> {
  const groupBy = r.groupBy ?? [];
  const [result, duplicates] = await Promise.all([rows<Row>(client, meterUsageQuery(range(r))), duplicatesOf(client, r)]);
  const total = result.find((row) => row.group_key.length === 0);
  const usage: MeterUsage = {
    meter: r.meter.code,
    aggregation: r.meter.aggregation,
    value: total ? canonicalDecimal(total.value) : '0',
    events: total ? Number(total.events) : 0,
    duplicates,
  };
  if (groupBy.length) {
    usage.groups = result
      .filter((row) => row.group_key.length > 0)
      .map((row) => ({ key: keyOf(groupBy, row.group_key), value: canonicalDecimal(row.value), events: Number(row.events) }));
  }
  return usage;
}

export type UsagePoint = { t: Date; value: string; events: number; groups?: UsageGroup[] };

/**
 * A meter's usage per bucket of `stepMs` from `from`. Every bucket is present, empty ones
 * with "0", so a chart needs no gap filling. The caller bounds the number of buckets.
 */
export async function readMeterTimeseries(
  client: ClickHouseClient,
  r: UsageRange & { stepMs: number },
): Promise<{ points: UsagePoint[]; duplicates: number }> {
  const groupBy = r.groupBy ?? [];
  const [result, duplicates] = await Promise.all([
    rows<BucketRow>(client, meterTimeseriesQuery({ ...range(r), stepMs: r.stepMs })),
    duplicatesOf(client, r),
  ]);
  const byBucket = new Map<number, BucketRow[]>();
  for (const row of result) {
    const b = Number(row.bucket);
    byBucket.set(b, [...(byBucket.get(b) ?? []), row]);
  }
  const fromMs = r.from.getTime();
  const count = Math.ceil((r.to.getTime() - fromMs) / r.stepMs);
  const points: UsagePoint[] = [];
  for (let b = 0; b < count; b++) {
    const bucket = byBucket.get(b) ?? [];
    const total = bucket.find((row) => row.group_key.length === 0);
    const point: UsagePoint = {
      t: new Date(fromMs + b * r.stepMs),
      value: total ? canonicalDecimal(total.value) : '0',
      events: total ? Number(total.events) : 0,
    };
    if (groupBy.length) {
      point.groups = bucket
        .filter((row) => row.group_key.length > 0)
        .map((row) => ({ key: keyOf(groupBy, row.group_key), value: canonicalDecimal(row.value), events: Number(row.events) }));
    }
    points.push(point);
  }
  return { points, duplicates };
}

export type MeteredEvent = { id: string; type: string; time: string; subject: string; source: string; data: unknown; deliveries: number };

/**
 * Up to `limit` deduplicated events that a meter counts in [from, to), oldest first, as
 * stored (`data` parsed without losing digits): the drill-down behind an invoice line.
 */
export async function listMeterEvents(client: ClickHouseClient, r: UsageRange & { limit: number }): Promise<MeteredEvent[]> {
  type EventRow = { id: string; type: string; time: string; subject: string; source: string; data: string; deliveries: string };
  const result = await rows<EventRow>(client, meterEventsQuery({ ...range(r), limit: r.limit }));
  return result.map((e) => ({
    id: e.id,
    type: e.type,
    time: `${e.time.replace(' ', 'T')}Z`,
    subject: e.subject,
    source: e.source,
    data: parseJsonLossless(e.data),
    deliveries: Number(e.deliveries),
  }));
}

export type TenantsUsageRange = { tenantIds: readonly string[]; meter: Meter; from: Date; to: Date };
export type TenantUsage = { tenantId: string; value: string; events: number };

/**
 * A meter's usage in [from, to) over several tenants, in one query (operators' overviews):
 * the total over all of them and each tenant that has events, deduplicated like every read.
 */
export async function readMeterUsageByTenant(
  client: ClickHouseClient,
  r: TenantsUsageRange,
): Promise<Omit<MeterUsage, 'groups'> & { tenants: TenantUsage[] }> {
  const empty = { meter: r.meter.code, aggregation: r.meter.aggregation, value: '0', events: 0, duplicates: 0, tenants: [] };
  if (r.tenantIds.length === 0) return empty;
  type TenantRow = { tenant_id: string; value: string; events: string; duplicates: string };
  const result = await rows<TenantRow>(
    client,
    meterUsageByTenantQuery({ tenantIds: r.tenantIds, meter: r.meter, fromMs: r.from.getTime(), toMs: r.to.getTime() }),
  );
  const total = result.find((row) => row.tenant_id === '');
  return {
    ...empty,
    ...(total ? { value: canonicalDecimal(total.value), events: Number(total.events), duplicates: Number(total.duplicates) } : {}),
    tenants: result
      .filter((row) => row.tenant_id !== '')
      .map((row) => ({ tenantId: row.tenant_id, value: canonicalDecimal(row.value), events: Number(row.events) })),
  };
}

export type UsageWindow = { tenantId: string; from: Date; to: Date };
export type WindowsUsageRange = { meter: Meter; windows: readonly UsageWindow[] };

/**
 * A meter's usage in each of several windows, of one tenant or several, in one query: one
 * answer per window, in the order given, deduplicated like every read (the same answer
 * readMeterUsage gives for that window). Billing batches the windows one activity needs
 * (a subscription's late-usage windows, a page of tenants' budget periods) instead of one
 * query each.
 */
export async function readMeterUsageByWindow(client: ClickHouseClient, r: WindowsUsageRange): Promise<Omit<MeterUsage, 'groups'>[]> {
  if (r.windows.length === 0) return [];
  type WindowRow = { window_no: string; value: string; events: string; duplicates: string };
  const result = await rows<WindowRow>(
    client,
    meterUsageByWindowQuery({
      meter: r.meter,
      windows: r.windows.map((w) => ({ tenantId: w.tenantId, fromMs: w.from.getTime(), toMs: w.to.getTime() })),
    }),
  );
  const byWindow = new Map(result.map((row) => [Number(row.window_no), row]));
  return r.windows.map((_, i) => {
    const row = byWindow.get(i + 1);
    return {
      meter: r.meter.code,
      aggregation: r.meter.aggregation,
      value: row ? canonicalDecimal(row.value) : '0',
      events: row ? Number(row.events) : 0,
      duplicates: row ? Number(row.duplicates) : 0,
    };
  });
}
