import { describe, expect, it } from 'vitest';
import { parseMeter } from '../../domain/metering/index.ts';
import { meterEventsQuery, meterTimeseriesQuery, meterUsageQuery } from './usage-query.ts';

const JAN = { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 1, 1) };
const TENANT = '00000000-0000-4000-8000-000000000001';
const count = parseMeter({ code: 'calls', name: 'Calls', eventType: 'api_call', aggregation: 'count' });
const tokens = parseMeter({
  code: 'tokens', name: 'Tokens', eventType: 'llm', aggregation: 'sum', valueProperty: 'usage.input_tokens',
  filters: { region: ['eu', 'us'] }, groupBy: ['model', 'region'],
});

describe('meterUsageQuery', () => {
  it('builds the deduplicating count for one tenant with every value as a parameter', () => {
    const q = meterUsageQuery({ tenantId: TENANT, meter: count, ...JAN });
    expect(q.query).toBe(
      "SELECT CAST([], 'Array(Nullable(String))') AS group_key, toString(count()) AS value, count() AS events, sum(deliveries) - count() AS duplicates " +
        'FROM (SELECT event_key, argMin(tuple(event_type, event_time, event_id, NULL, 1), ingested_at) AS f, count() AS deliveries ' +
        'FROM usage_events PREWHERE tenant_id = {tenantId:String} AND event_key IN ( SELECT event_key FROM usage_events ' +
        "WHERE tenant_id = {tenantId:String} AND event_type = {eventType:String} AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')}) " +
        'GROUP BY event_key) ' +
        "WHERE f.1 = {eventType:String} AND f.2 >= {from:DateTime64(3, 'UTC')} AND f.2 < {to:DateTime64(3, 'UTC')} AND f.5 " +
        'ORDER BY length(group_key), group_key SETTINGS use_index_for_in_with_subqueries = 0',
    );
    expect(q.query_params).toEqual({ tenantId: TENANT, eventType: 'api_call', from: '2026-01-01 00:00:00.000', to: '2026-02-01 00:00:00.000' });
  });

  it('passes paths, filters and group properties as parameters', () => {
    const q = meterUsageQuery({ tenantId: TENANT, meter: tokens, ...JAN, groupBy: ['model'] });
    expect(q.query_params).toEqual({
      tenantId: TENANT, eventType: 'llm', from: '2026-01-01 00:00:00.000', to: '2026-02-01 00:00:00.000',
      value_0: 'usage', value_1: 'input_tokens', filter0_values: ['eu', 'us'], filter0_0: 'region', group0_0: 'model',
    });
    expect(q.query).toContain("JSONExtractRaw(data, {value_0:String}, {value_1:String})");
    expect(q.query).toContain("has({filter0_values:Array(String)}, multiIf(JSONExtractRaw(data, {filter0_0:String}) IN ('', 'null')");
    expect(q.query).toContain('toString(ifNull(sum(toDecimal256(f.4, 12)), toDecimal256(0, 12))) AS value');
    expect(q.query).toContain('GROUP BY GROUPING SETS ((), (group_key))');
  });

  it('never writes a value into the SQL text', () => {
    const evil = parseMeter({ code: 'evil', name: 'E', eventType: "x' OR 1=1 --", aggregation: 'count', filters: { "a": ["'; DROP TABLE usage_events; --"] } });
    const q = meterUsageQuery({ tenantId: "t' OR '1'='1", meter: evil, ...JAN });
    expect(q.query).not.toContain("OR '1'='1");
    expect(q.query).not.toContain('DROP TABLE');
    expect(q.query).not.toContain('OR 1=1');
  });

  it('refuses a query without a tenant, an empty window or an undeclared group', () => {
    expect(() => meterUsageQuery({ tenantId: '', meter: count, ...JAN })).toThrow('a usage query needs a tenantId');
    expect(() => meterUsageQuery({ tenantId: TENANT, meter: count, fromMs: JAN.toMs, toMs: JAN.fromMs })).toThrow('from < to');
    expect(() => meterUsageQuery({ tenantId: TENANT, meter: tokens, ...JAN, groupBy: ['user'] })).toThrow('groupBy user is not a groupBy property of meter tokens');
  });

  it.each([
    ['max', 'toString(ifNull(max(f.4), toDecimal128(0, 12))) AS value'],
    ['unique_count', 'toString(uniqExact(f.4)) AS value'],
    ['latest', "if(countIf(isNotNull(f.4)) = 0, '0', toString(argMaxIf(assumeNotNull(f.4), (f.2, f.3), isNotNull(f.4)))) AS value"],
  ])('%s aggregates the first deliveries', (aggregation, sql) => {
    const m = parseMeter({ code: 'm', name: 'M', eventType: 'e', aggregation, valueProperty: 'v' });
    expect(meterUsageQuery({ tenantId: TENANT, meter: m, ...JAN }).query).toContain(sql);
  });
});

describe('meterTimeseriesQuery and meterEventsQuery', () => {
  it('buckets from `from` in steps, totals and groups per bucket', () => {
    const q = meterTimeseriesQuery({ tenantId: TENANT, meter: tokens, ...JAN, groupBy: ['region'], stepMs: 3_600_000 });
    expect(q.query).toMatch(/^SELECT intDiv\(toUnixTimestamp64Milli\(f\.2\) - \{fromMs:Int64\}, \{stepMs:Int64\}\) AS bucket/);
    expect(q.query).toContain('GROUP BY GROUPING SETS ((bucket), (bucket, group_key))');
    expect(q.query_params).toMatchObject({ tenantId: TENANT, fromMs: JAN.fromMs, stepMs: 3_600_000, group0_0: 'region' });
  });

  it('lists first deliveries oldest first with a bound', () => {
    const q = meterEventsQuery({ tenantId: TENANT, meter: count, ...JAN, limit: 50 });
    expect(q.query).toContain('ORDER BY f.2, f.3 LIMIT {limit:UInt32}');
    expect(q.query).toContain('argMin(tuple(event_type, event_time, event_id, NULL, 1, subject, source, data), ingested_at)');
    expect(q.query_params).toMatchObject({ tenantId: TENANT, limit: 50 });
  });
});
