import { pathSegments, type Aggregation, type Meter } from '../../domain/metering/index.ts';
import { clickhouseTime } from './time.ts';

/**
 * Pure builders of the usage queries: each returns `{query, query_params}` and never puts
 * a value into the SQL text (tenant, times, paths and filter values are all parameters).
 * The meaning of each aggregation is fixed in domain/metering/aggregate.ts; this file is
 * its SQL form, and the reader's integration tests compare the two on the same events.
 *
 * Deduplication happens at ingest (usage-writer.ts): `usage_events` holds only the first
 * delivery of each event, so every usage read is a plain aggregation over the window's rows
 * (one range of the sort key), whatever the tenant's history. Later deliveries are in
 * `usage_redeliveries`, read only to count them (meterDuplicatesQuery).
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

class Params {
  readonly values: Record<string, unknown> = {};
  add(name: string, type: string, value: unknown): string {
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}

/**
 * The text of the property at `path` (see propertyText in domain/metering): a string's
 * content, a number's JSON text as stored, NULL when missing or null. Read from the typed
 * columns ClickHouse fills at insert (migration 0005): a leaf is one map look-up; only a path
 * that holds an object takes its JSON text from `data`.
 */
function propertyTextSql(p: Params, name: string, path: string): string {
  const key = p.add(`${name}_path`, 'String', path);
  const segments = pathSegments(path).map((segment, i) => p.add(`${name}_${i}`, 'String', segment));
  return `multiIf(mapContains(data_texts, ${key}), data_texts[${key}], has(data_objects, ${key}), JSONExtractRaw(data, ${segments.join(', ')}), NULL)`;
}

/**
 * The per-delivery value an aggregation reads: a Decimal128(12), a text, or nothing. Numbers
 * come from `data_numbers`, which holds exactly the metered numbers of the data (the pattern
 * of domain/metering's METERED_NUMBER). A meter that does not allow negatives skips negative
 * values (see aggregate.ts); "-0" is zero there and here.
 */
function valueSql(p: Params, meter: Meter): string {
  if (meter.aggregation === 'count') return 'NULL';
  if (meter.aggregation === 'unique_count') return propertyTextSql(p, 'value', meter.valueProperty!);
  const key = p.add('value_path', 'String', meter.valueProperty!);
  const value = `data_numbers[${key}]`;
  const accepted = meter.allowNegative ? `mapContains(data_numbers, ${key})` : `mapContains(data_numbers, ${key}) AND ${value} >= 0`;
  return `if(${accepted}, ${value}, NULL)`;
}

function filtersSql(p: Params, meter: Meter): string {
  const checks = Object.entries(meter.filters).map(
    ([path, allowed], i) => `has(${p.add(`filter${i}_values`, 'Array(String)', allowed)}, ${propertyTextSql(p, `filter${i}`, path)})`,
  );
  return checks.length ? checks.join(' AND ') : '1';
}

/** SQL of an aggregation over the window's events (columns t, id, v). */
function aggregateSql(aggregation: Aggregation): string {
  switch (aggregation) {
    case 'count':
      return 'toString(count())';
    case 'sum':
      // Decimal256 so no sum of Decimal128(12) values can overflow.
      return 'toString(ifNull(sum(toDecimal256(v, 12)), toDecimal256(0, 12)))';
    case 'max':
      return 'toString(ifNull(max(v), toDecimal128(0, 12)))';
    case 'unique_count':
      return 'toString(uniqExact(v))';
    case 'latest':
      return "if(countIf(isNotNull(v)) = 0, '0', toString(argMaxIf(assumeNotNull(v), (t, id), isNotNull(v))))";
  }
}

function checkInput(q: MeterQuery): void {
  if (!q.tenantId) throw new Error('a usage query needs a tenantId');
  if (!(q.fromMs < q.toMs)) throw new Error('a usage query needs from < to');
  for (const g of q.groupBy ?? [])
    if (!q.meter.groupBy.includes(g)) throw new Error(`groupBy ${g} is not a groupBy property of meter ${q.meter.code}`);
}

/**
 * The window as a range of the sort key (tenant, event type, time). In usage_redeliveries
 * the type and time are those of the event a delivery repeats (`winner`).
 */
function windowSql(p: Params, q: MeterQuery | TenantsMeterQuery, of: 'event' | 'winner' = 'event'): string {
  const prefix = of === 'winner' ? 'winner_' : '';
  const tenant =
    'tenantIds' in q ? `IN ${p.add('tenantIds', 'Array(String)', q.tenantIds)}` : `= ${p.add('tenantId', 'String', q.tenantId)}`;
  const type = p.add('eventType', 'String', q.meter.eventType);
  const from = p.add('from', "DateTime64(3, 'UTC')", clickhouseTime(q.fromMs));
  const to = p.add('to', "DateTime64(3, 'UTC')", clickhouseTime(q.toMs));
  return `tenant_id ${tenant} AND ${prefix}event_type = ${type} AND ${prefix}event_time >= ${from} AND ${prefix}event_time < ${to}`;
}

/** The meter's events in the window as t (time), id, v (value) and g0… (extra columns). */
function windowEventsSql(p: Params, q: MeterQuery | TenantsMeterQuery, extra: readonly string[]): string {
  const where = windowSql(p, q);
  const columns = ['event_time AS t', 'event_id AS id', `${valueSql(p, q.meter)} AS v`, ...extra.map((e, i) => `${e} AS g${i}`)];
  return `SELECT ${columns.join(', ')} FROM usage_events WHERE ${where} AND ${filtersSql(p, q.meter)}`;
}

const groupKeySql = (groupBy: readonly string[]) =>
  groupBy.length ? `[${groupBy.map((_, i) => `g${i}`).join(', ')}]` : "CAST([], 'Array(Nullable(String))')";

/**
 * A meter's value in [from, to): one row with the total (`group_key` empty), plus one row
 * per group when `groupBy` is given. Columns: group_key Array(Nullable(String)) in the
 * order of groupBy, value (decimal text), events.
 */
export function meterUsageQuery(q: MeterQuery): ClickHouseQuery {
  checkInput(q);
  const p = new Params();
  const groupBy = q.groupBy ?? [];
  const inner = windowEventsSql(
    p,
    q,
    groupBy.map((path, i) => propertyTextSql(p, `group${i}`, path)),
  );
  const query = `SELECT ${groupKeySql(groupBy)} AS group_key, ${aggregateSql(q.meter.aggregation)} AS value, count() AS events
  FROM (${inner})
  ${groupBy.length ? 'GROUP BY GROUPING SETS ((), (group_key))' : ''}
  ORDER BY length(group_key), group_key`;
  return { query: tidy(query), query_params: p.values };
}

/**
 * Which rows of usage_redeliveries are the later deliveries, ignored, of the events a meter
 * counts in [from, to). Without filters every redelivery whose winner lies in the window
 * counts (one range of usage_redeliveries); with filters, only those whose winner passes them
 * (checked in usage_events, for the few winners that have redeliveries).
 */
function redeliveriesWhereSql(p: Params, q: Omit<MeterQuery, 'groupBy'> | TenantsMeterQuery): string {
  const redeliveredWhere = windowSql(p, q, 'winner');
  if (Object.keys(q.meter.filters).length === 0) return redeliveredWhere;
  // Across tenants an event's identity includes its tenant.
  const columns = `${'tenantIds' in q ? 'tenant_id, ' : ''}toString(source), event_id`;
  return `${redeliveredWhere} AND (${columns}) IN (
    SELECT ${columns} FROM usage_events
    WHERE ${windowSql(p, q)} AND ${filtersSql(p, q.meter)}
      AND (${columns}) IN (SELECT ${columns} FROM usage_redeliveries WHERE ${redeliveredWhere}))`;
}

/** The number of later deliveries, ignored, of the events a meter counts in [from, to). */
export function meterDuplicatesQuery(q: Omit<MeterQuery, 'groupBy'>): ClickHouseQuery {
  checkInput(q);
  const p = new Params();
  return {
    query: tidy(`SELECT count() AS duplicates FROM usage_redeliveries WHERE ${redeliveriesWhereSql(p, q)}`),
    query_params: p.values,
  };
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
  const inner = windowEventsSql(p, q, ['tenant_id']);
  const query = `SELECT u.tenant_id AS tenant_id, u.value AS value, u.events AS events, d.duplicates AS duplicates
  FROM (
    SELECT g0 AS tenant_id, ${aggregateSql(q.meter.aggregation)} AS value, count() AS events
    FROM (${inner})
    GROUP BY GROUPING SETS ((), (g0))) AS u
  LEFT JOIN (
    SELECT tenant_id, count() AS duplicates FROM usage_redeliveries WHERE ${redeliveriesWhereSql(p, q)} GROUP BY GROUPING SETS ((), (tenant_id))) AS d
  ON d.tenant_id = u.tenant_id
  ORDER BY tenant_id
  SETTINGS join_use_nulls = 0`;
  return { query: tidy(query), query_params: p.values };
}

/** One window of a batched read: a tenant and its [fromMs, toMs). */
export type UsageWindowSpec = { tenantId: string; fromMs: number; toMs: number };

/** A meter's value in several windows, of one tenant or of several, in one query. */
export type WindowsMeterQuery = { meter: Meter; windows: readonly UsageWindowSpec[] };

/**
 * A meter's value in each of several windows (any tenants, windows may overlap), in one query:
 * one row per window that has events, `window_no` being its 1-based position in `windows`.
 * It reads the span from the earliest start to the latest end for the named tenants (so
 * windows far apart cost their span; callers batch windows that lie close together, such as
 * one period's budgets or a subscription's recent periods).
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
  const span = {
    tenantIds,
    meter: q.meter,
    fromMs: Math.min(...q.windows.map((w) => w.fromMs)),
    toMs: Math.max(...q.windows.map((w) => w.toMs)),
  };
  const inner = windowEventsSql(p, span, ['tenant_id']);
  const tenants = p.add(
    'windowTenants',
    'Array(String)',
    q.windows.map((w) => w.tenantId),
  );
  const froms = p.add(
    'windowFromMs',
    'Array(Int64)',
    q.windows.map((w) => w.fromMs),
  );
  const tos = p.add(
    'windowToMs',
    'Array(Int64)',
    q.windows.map((w) => w.toMs),
  );
  // The windows as a small table joined on the tenant: each row meets only its tenant's windows.
  const windows = `(SELECT arrayJoin(arrayEnumerate(${tenants})) AS window_no, ${tenants}[window_no] AS tenant_id, ${froms}[window_no] AS from_ms, ${tos}[window_no] AS to_ms) AS w`;
  const inWindow = (time: string) => `toUnixTimestamp64Milli(${time}) >= w.from_ms AND toUnixTimestamp64Milli(${time}) < w.to_ms`;
  const query = `SELECT u.window_no AS window_no, u.value AS value, u.events AS events, d.duplicates AS duplicates
  FROM (
    SELECT w.window_no AS window_no, ${aggregateSql(q.meter.aggregation)} AS value, count() AS events
    FROM (${inner}) AS e
    INNER JOIN ${windows} ON e.g0 = w.tenant_id
    WHERE ${inWindow('e.t')}
    GROUP BY window_no) AS u
  LEFT JOIN (
    SELECT w.window_no AS window_no, count() AS duplicates
    FROM (SELECT tenant_id, winner_event_time FROM usage_redeliveries WHERE ${redeliveriesWhereSql(p, span)}) AS r
    INNER JOIN ${windows} ON r.tenant_id = w.tenant_id
    WHERE ${inWindow('r.winner_event_time')}
    GROUP BY window_no) AS d
  ON d.window_no = u.window_no
  ORDER BY window_no
  SETTINGS join_use_nulls = 0`;
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
  const inner = windowEventsSql(
    p,
    q,
    groupBy.map((path, i) => propertyTextSql(p, `group${i}`, path)),
  );
  const fromMs = p.add('fromMs', 'Int64', q.fromMs);
  const stepMs = p.add('stepMs', 'Int64', q.stepMs);
  const query = `SELECT intDiv(toUnixTimestamp64Milli(t) - ${fromMs}, ${stepMs}) AS bucket, ${groupKeySql(groupBy)} AS group_key,
    ${aggregateSql(q.meter.aggregation)} AS value, count() AS events
  FROM (${inner})
  GROUP BY ${groupBy.length ? 'GROUPING SETS ((bucket), (bucket, group_key))' : 'bucket'}
  ORDER BY bucket, length(group_key), group_key`;
  return { query: tidy(query), query_params: p.values };
}

/**
 * Up to `limit` of a meter's events in the window, oldest first (ties by id), as stored,
 * each with its number of deliveries: for an invoice line's drill-down.
 */
export function meterEventsQuery(q: MeterQuery & { limit: number }): ClickHouseQuery {
  checkInput(q);
  if (!(Number.isSafeInteger(q.limit) && q.limit > 0)) throw new Error('limit must be a positive integer');
  const p = new Params();
  const inner = windowEventsSql(p, q, ['event_type', 'subject', 'toString(source)', 'data']);
  const limit = p.add('limit', 'UInt32', q.limit);
  const redeliveries = `SELECT toString(source) AS src, event_id AS rid, count() AS n FROM usage_redeliveries WHERE ${windowSql(p, q, 'winner')} GROUP BY src, rid`;
  const query = `SELECT e.id AS id, e.g0 AS type, toString(e.t) AS time, e.g1 AS subject, e.g2 AS source, e.g3 AS data, 1 + r.n AS deliveries
  FROM (${inner} ORDER BY t, id LIMIT ${limit}) AS e
  LEFT JOIN (${redeliveries}) AS r ON r.src = e.g2 AND r.rid = e.id
  ORDER BY e.t, e.id
  SETTINGS join_use_nulls = 0`;
  return { query: tidy(query), query_params: p.values };
}

/** One space per run of whitespace, so snapshots and logs show one readable line. */
function tidy(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim();
}
