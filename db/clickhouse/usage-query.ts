import { pathSegments, type Aggregation, type Meter } from '../../domain/metering/index.ts';
import { clickhouseTime } from './time.ts';

/**
 * Pure builders of the usage queries: each returns `{query, query_params}` and never puts
 * a value into the SQL text (tenant, times, paths and filter values are all parameters).
 * The meaning of each aggregation is fixed in domain/metering/aggregate.ts; this file is
 * its SQL form, and the reader's integration tests compare the two on the same events.
 *
 * Deduplication (first accepted delivery wins) happens in every query, in two steps:
 * 1. the keys of the deliveries in the window: `event_key IN (SELECT … window …)`;
 * 2. every delivery of those keys in the tenant's whole history, grouped by key, keeping
 *    the one with the smallest `ingested_at` (argMin). A redelivery whose time lies in
 *    another month is therefore seen, and the first delivery's type, time and data decide
 *    whether the event counts in this window at all.
 * Step 2 reads only `event_key` for the tenant's other rows (PREWHERE), so its cost is
 * one fixed-width column of the tenant's history, not the data.
 */
export type ClickHouseQuery = { query: string; query_params: Record<string, unknown> };

export type MeterQuery = {
  /** Required: every query is for exactly one tenant. */
  tenantId: string;
  meter: Meter;
  fromMs: number;
  toMs: number;
  /** Properties (of meter.groupBy) to break the value down by. */
  groupBy?: readonly string[];
};

// RE2 spellings of METERED_NUMBER and NEGATIVE_NUMBER in domain/metering/metered-number.ts.
const METERED_NUMBER_RE2 = '^-?[0-9]{1,26}([.][0-9]{1,12})?$';
const NEGATIVE_NUMBER_RE2 = '^-.*[1-9]';

class Params {
  readonly values: Record<string, unknown> = {};
  add(name: string, type: string, value: unknown): string {
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}

/**
 * The text of the property at `path` (see propertyText in domain/metering): a string's
 * content, a number's JSON text as stored, NULL when missing or null.
 */
function propertyTextSql(p: Params, name: string, path: string): string {
  const keys = pathSegments(path).map((segment, i) => p.add(`${name}_${i}`, 'String', segment));
  const raw = `JSONExtractRaw(data, ${keys.join(', ')})`;
  return `multiIf(${raw} IN ('', 'null'), NULL, startsWith(${raw}, '"'), JSONExtractString(${raw}), ${raw})`;
}

/**
 * The per-delivery value an aggregation reads: a Decimal128(12), a text, or nothing. A meter
 * that does not allow negatives skips negative values (see aggregate.ts).
 */
function valueSql(p: Params, meter: Meter): string {
  if (meter.aggregation === 'count') return 'NULL';
  const text = propertyTextSql(p, 'value', meter.valueProperty!);
  if (meter.aggregation === 'unique_count') return text;
  const accepted = meter.allowNegative ? `match(${text}, '${METERED_NUMBER_RE2}')` : `match(${text}, '${METERED_NUMBER_RE2}') AND NOT match(${text}, '${NEGATIVE_NUMBER_RE2}')`;
  return `if(${accepted}, toDecimal128OrNull(${text}, 12), NULL)`;
}

function filtersSql(p: Params, meter: Meter): string {
  const checks = Object.entries(meter.filters).map(([path, allowed], i) => `has(${p.add(`filter${i}_values`, 'Array(String)', allowed)}, ${propertyTextSql(p, `filter${i}`, path)})`);
  return checks.length ? checks.join(' AND ') : '1';
}

/** SQL of an aggregation over the first deliveries `f` (f.2 time, f.3 id, f.4 value). */
function aggregateSql(aggregation: Aggregation): string {
  switch (aggregation) {
    case 'count':
      return 'toString(count())';
    case 'sum':
      // Decimal256 so no sum of Decimal128(12) values can overflow.
      return 'toString(ifNull(sum(toDecimal256(f.4, 12)), toDecimal256(0, 12)))';
    case 'max':
      return 'toString(ifNull(max(f.4), toDecimal128(0, 12)))';
    case 'unique_count':
      return 'toString(uniqExact(f.4))';
    case 'latest':
      return "if(countIf(isNotNull(f.4)) = 0, '0', toString(argMaxIf(assumeNotNull(f.4), (f.2, f.3), isNotNull(f.4))))";
  }
}

function checkInput(q: MeterQuery): void {
  if (!q.tenantId) throw new Error('a usage query needs a tenantId');
  if (!(q.fromMs < q.toMs)) throw new Error('a usage query needs from < to');
  for (const g of q.groupBy ?? []) if (!q.meter.groupBy.includes(g)) throw new Error(`groupBy ${g} is not a groupBy property of meter ${q.meter.code}`);
}

/** The deduplicated first deliveries of the window's events, as `f` (see the file comment). */
function firstDeliveriesSql(p: Params, q: MeterQuery | TenantsMeterQuery, extra: readonly string[]): string {
  // Several tenants: an event's identity includes its tenant, so keys are grouped per tenant.
  const many = 'tenantIds' in q;
  const tenant = many ? `IN ${p.add('tenantIds', 'Array(String)', q.tenantIds)}` : `= ${p.add('tenantId', 'String', q.tenantId)}`;
  const type = p.add('eventType', 'String', q.meter.eventType);
  const from = p.add('from', "DateTime64(3, 'UTC')", clickhouseTime(q.fromMs));
  const to = p.add('to', "DateTime64(3, 'UTC')", clickhouseTime(q.toMs));
  const tuple = ['event_type', 'event_time', 'event_id', valueSql(p, q.meter), filtersSql(p, q.meter), ...extra];
  const keys = many ? '(tenant_id, event_key)' : 'event_key';
  return `SELECT ${many ? 'tenant_id, ' : ''}event_key, argMin(tuple(${tuple.join(', ')}), ingested_at) AS f, count() AS deliveries
    FROM usage_events
    PREWHERE tenant_id ${tenant} AND ${keys} IN (
      SELECT ${keys} FROM usage_events
      WHERE tenant_id ${tenant} AND event_type = ${type} AND event_time >= ${from} AND event_time < ${to})
    GROUP BY ${many ? 'tenant_id, ' : ''}event_key`;
}

/** Keeps the first deliveries that are this meter's events in the window. */
const WINDOW_FILTER = "f.1 = {eventType:String} AND f.2 >= {from:DateTime64(3, 'UTC')} AND f.2 < {to:DateTime64(3, 'UTC')} AND f.5";

// The subquery's set is only used to filter rows; letting ClickHouse also try it against
// the primary key (which does not contain event_key) doubles the time for nothing.
const SETTINGS = 'SETTINGS use_index_for_in_with_subqueries = 0';

/**
 * A meter's value in [from, to): one row with the total (`group_key` empty), plus one row
 * per group when `groupBy` is given. Columns: group_key Array(Nullable(String)) in the
 * order of groupBy, value (decimal text), events, duplicates (deliveries ignored).
 */
export function meterUsageQuery(q: MeterQuery): ClickHouseQuery {
  checkInput(q);
  const p = new Params();
  const groupBy = q.groupBy ?? [];
  const groupExprs = groupBy.map((path, i) => propertyTextSql(p, `group${i}`, path));
  const inner = firstDeliveriesSql(p, q, groupExprs);
  const groupKey = groupBy.length ? `[${groupBy.map((_, i) => `f.${6 + i}`).join(', ')}]` : 'CAST([], \'Array(Nullable(String))\')';
  const query = `SELECT ${groupKey} AS group_key, ${aggregateSql(q.meter.aggregation)} AS value, count() AS events, sum(deliveries) - count() AS duplicates
  FROM (${inner})
  WHERE ${WINDOW_FILTER}
  ${groupBy.length ? 'GROUP BY GROUPING SETS ((), (group_key))' : ''}
  ORDER BY length(group_key), group_key
  ${SETTINGS}`;
  return { query: tidy(query), query_params: p.values };
}

/** An operator's read across tenants: the tenants are still named, every one of them. */
export type TenantsMeterQuery = Omit<MeterQuery, 'tenantId' | 'groupBy'> & { tenantIds: readonly string[] };

/**
 * A meter's value in [from, to) for each of several tenants, in one query: one row per tenant
 * with events, plus one total row over them all (`tenant_id` '': no id is empty). The total
 * is the aggregation over every tenant's deduplicated events: for count and sum the sum of the
 * tenants' values, for max the largest, for unique_count the distinct values across tenants,
 * for latest the latest event of any tenant. Columns: tenant_id, value, events, duplicates.
 */
export function meterUsageByTenantQuery(q: TenantsMeterQuery): ClickHouseQuery {
  if (q.tenantIds.length === 0 || q.tenantIds.some((t) => !t)) throw new Error('a usage query across tenants needs their ids');
  if (!(q.fromMs < q.toMs)) throw new Error('a usage query needs from < to');
  const p = new Params();
  const inner = firstDeliveriesSql(p, q, []);
  const query = `SELECT tenant_id, ${aggregateSql(q.meter.aggregation)} AS value,
    count() AS events, sum(deliveries) - count() AS duplicates
  FROM (${inner})
  WHERE ${WINDOW_FILTER}
  GROUP BY GROUPING SETS ((), (tenant_id))
  ORDER BY tenant_id
  ${SETTINGS}`;
  return { query: tidy(query), query_params: p.values };
}

/** One window of a batched read: a tenant and its [fromMs, toMs). */
export type UsageWindowSpec = { tenantId: string; fromMs: number; toMs: number };

/** A meter's value in several windows, of one tenant or of several, in one query. */
export type WindowsMeterQuery = { meter: Meter; windows: readonly UsageWindowSpec[] };

/**
 * A meter's value in each of several windows (any tenants, windows may overlap), in one query:
 * one row per window that has events, `window_no` being its 1-based position in `windows`.
 * Deduplication is the same as every read's, over the span from the earliest start to the
 * latest end for the named tenants (so windows far apart cost their span; callers batch windows
 * that lie close together, such as one period's budgets or a subscription's recent periods).
 * An event counts in every window that holds its first delivery's time. Columns: window_no,
 * value, events, duplicates.
 */
export function meterUsageByWindowQuery(q: WindowsMeterQuery): ClickHouseQuery {
  if (q.windows.length === 0) throw new Error('a batched usage query needs at least one window');
  for (const w of q.windows) {
    if (!w.tenantId) throw new Error('a usage query needs a tenantId');
    if (!(w.fromMs < w.toMs)) throw new Error('a usage query needs from < to');
  }
  const p = new Params();
  const tenantIds = [...new Set(q.windows.map((w) => w.tenantId))];
  const span = { fromMs: Math.min(...q.windows.map((w) => w.fromMs)), toMs: Math.max(...q.windows.map((w) => w.toMs)) };
  const inner = firstDeliveriesSql(p, { tenantIds, meter: q.meter, ...span }, []);
  const tenants = p.add('windowTenants', 'Array(String)', q.windows.map((w) => w.tenantId));
  const froms = p.add('windowFromMs', 'Array(Int64)', q.windows.map((w) => w.fromMs));
  const tos = p.add('windowToMs', 'Array(Int64)', q.windows.map((w) => w.toMs));
  // The windows as a small table joined on the tenant: each event meets only its tenant's windows.
  const query = `SELECT w.window_no AS window_no, ${aggregateSql(q.meter.aggregation)} AS value, count() AS events, sum(deliveries) - count() AS duplicates
  FROM (${inner}) AS d
  INNER JOIN (SELECT arrayJoin(arrayEnumerate(${tenants})) AS window_no, ${tenants}[window_no] AS tenant_id, ${froms}[window_no] AS from_ms, ${tos}[window_no] AS to_ms) AS w
    ON d.tenant_id = w.tenant_id
  WHERE ${WINDOW_FILTER} AND toUnixTimestamp64Milli(f.2) >= w.from_ms AND toUnixTimestamp64Milli(f.2) < w.to_ms
  GROUP BY window_no
  ORDER BY window_no
  ${SETTINGS}`;
  return { query: tidy(query), query_params: p.values };
}

/**
 * A meter's value per bucket of `stepMs`, counted from `from`: bucket n covers
 * [from + n·step, from + (n+1)·step). Only non-empty buckets (and groups) come back.
 */
export function meterTimeseriesQuery(q: MeterQuery & { stepMs: number }): ClickHouseQuery {
  checkInput(q);
  if (!(Number.isSafeInteger(q.stepMs) && q.stepMs > 0)) throw new Error('stepMs must be a positive integer');
  const p = new Params();
  const groupBy = q.groupBy ?? [];
  const groupExprs = groupBy.map((path, i) => propertyTextSql(p, `group${i}`, path));
  const inner = firstDeliveriesSql(p, q, groupExprs);
  const fromMs = p.add('fromMs', 'Int64', q.fromMs);
  const stepMs = p.add('stepMs', 'Int64', q.stepMs);
  const groupKey = groupBy.length ? `[${groupBy.map((_, i) => `f.${6 + i}`).join(', ')}]` : 'CAST([], \'Array(Nullable(String))\')';
  const query = `SELECT intDiv(toUnixTimestamp64Milli(f.2) - ${fromMs}, ${stepMs}) AS bucket, ${groupKey} AS group_key,
    ${aggregateSql(q.meter.aggregation)} AS value, count() AS events, sum(deliveries) - count() AS duplicates
  FROM (${inner})
  WHERE ${WINDOW_FILTER}
  GROUP BY ${groupBy.length ? 'GROUPING SETS ((bucket), (bucket, group_key))' : 'bucket'}
  ORDER BY bucket, length(group_key), group_key
  ${SETTINGS}`;
  return { query: tidy(query), query_params: p.values };
}

/**
 * Up to `limit` of a meter's deduplicated events in the window, oldest first (ties by
 * id), as stored: for an invoice line's drill-down.
 */
export function meterEventsQuery(q: MeterQuery & { limit: number }): ClickHouseQuery {
  checkInput(q);
  if (!(Number.isSafeInteger(q.limit) && q.limit > 0)) throw new Error('limit must be a positive integer');
  const p = new Params();
  const inner = firstDeliveriesSql(p, q, ['subject', 'source', 'data']);
  const limit = p.add('limit', 'UInt32', q.limit);
  const query = `SELECT f.3 AS id, f.1 AS type, toString(f.2) AS time, f.6 AS subject, f.7 AS source, f.8 AS data, deliveries
  FROM (${inner})
  WHERE ${WINDOW_FILTER}
  ORDER BY f.2, f.3
  LIMIT ${limit}
  ${SETTINGS}`;
  return { query: tidy(query), query_params: p.values };
}

/** One space per run of whitespace, so snapshots and logs show one readable line. */
function tidy(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim();
}
