import { describe, expect, it } from 'vitest';
import { parseMeter } from '../../domain/metering/index.ts';
import { meterDuplicatesQuery, meterEventsQuery, meterTimeseriesQuery, meterUsageQuery } from './usage-query.ts';

const JAN = { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 1, 1) };
const TENANT = '00000000-0000-4000-8000-000000000001';
const count = parseMeter({ code: 'calls', name: 'Calls', eventType: 'api_call', aggregation: 'count' });
const tokens = parseMeter({
  code: 'tokens',
  name: 'Tokens',
  eventType: 'llm',
  aggregation: 'sum',
  valueProperty: 'usage.input_tokens',
  filters: { region: ['eu', 'us'] },
  groupBy: ['model', 'region'],
});

describe('meterUsageQuery', () => {
  it('builds a plain count over the window for one tenant with every value as a parameter', () => {
    const q = meterUsageQuery({ tenantId: TENANT, meter: count, ...JAN });
    expect(q.query).toBe(
      "SELECT CAST([], 'Array(Nullable(String))') AS group_key, toString(count()) AS value, count() AS events " +
        'FROM (SELECT event_time AS t, event_id AS id, NULL AS v FROM usage_events ' +
        "WHERE tenant_id = {tenantId:String} AND event_type = {eventType:String} AND event_time >= {from:DateTime64(3, 'UTC')} AND event_time < {to:DateTime64(3, 'UTC')} AND 1) " +
        'ORDER BY length(group_key), group_key',
    );
    expect(q.query_params).toEqual({
      tenantId: TENANT,
      eventType: 'api_call',
      from: '2026-01-01 00:00:00.000',
      to: '2026-02-01 00:00:00.000',
    });
    // A plain aggregation: no look-up of other deliveries, whatever the history.
    expect(q.query).not.toMatch(/argMin|event_key|usage_redeliveries/);
  });

  it('passes paths, filters and group properties as parameters, read from the typed columns', () => {
    const q = meterUsageQuery({ tenantId: TENANT, meter: tokens, ...JAN, groupBy: ['model'] });
    expect(q.query_params).toEqual({
      tenantId: TENANT,
      eventType: 'llm',
      from: '2026-01-01 00:00:00.000',
      to: '2026-02-01 00:00:00.000',
      value_path: 'usage.input_tokens',
      filter0_values: ['eu', 'us'],
      filter0_path: 'region',
      filter0_0: 'region',
      group0_path: 'model',
      group0_0: 'model',
    });
    // The value is a map look-up of the stored decimal, negatives skipped: no JSON parsing.
    expect(q.query).toContain(
      'if(mapContains(data_numbers, {value_path:String}) AND data_numbers[{value_path:String}] >= 0, data_numbers[{value_path:String}], NULL) AS v',
    );
    // A property's text is a map look-up; only a path that holds an object reads data.
    expect(q.query).toContain(
      'has({filter0_values:Array(String)}, multiIf(mapContains(data_texts, {filter0_path:String}), data_texts[{filter0_path:String}], ' +
        'has(data_objects, {filter0_path:String}), JSONExtractRaw(data, {filter0_0:String}), NULL))',
    );
    expect(q.query).not.toMatch(/JSONExtractRaw\(data, \{value/);
    expect(q.query).toContain('toString(ifNull(sum(toDecimal256(v, 12)), toDecimal256(0, 12))) AS value');
    expect(q.query).toContain('GROUP BY GROUPING SETS ((), (group_key))');
  });

  it('reads any value of a meter that allows negatives, and the text of a unique_count value', () => {
    const net = parseMeter({ code: 'net', name: 'N', eventType: 'e', aggregation: 'sum', valueProperty: 'a.b', allowNegative: true });
    expect(meterUsageQuery({ tenantId: TENANT, meter: net, ...JAN }).query).toContain(
      'if(mapContains(data_numbers, {value_path:String}), data_numbers[{value_path:String}], NULL) AS v',
    );
    const users = parseMeter({ code: 'users', name: 'U', eventType: 'e', aggregation: 'unique_count', valueProperty: 'a.b' });
    const q = meterUsageQuery({ tenantId: TENANT, meter: users, ...JAN });
    expect(q.query).toContain('JSONExtractRaw(data, {value_0:String}, {value_1:String}), NULL) AS v');
    expect(q.query_params).toMatchObject({ value_path: 'a.b', value_0: 'a', value_1: 'b' });
  });

  it('never writes a value into the SQL text', () => {
    const evil = parseMeter({
      code: 'evil',
      name: 'E',
      eventType: "x' OR 1=1 --",
      aggregation: 'count',
      filters: { a: ["'; DROP TABLE usage_events; --"] },
    });
    const q = meterUsageQuery({ tenantId: "t' OR '1'='1", meter: evil, ...JAN });
    expect(q.query).not.toContain("OR '1'='1");
    expect(q.query).not.toContain('DROP TABLE');
    expect(q.query).not.toContain('OR 1=1');
  });

  it('refuses a query without a tenant, an empty window or an undeclared group', () => {
    expect(() => meterUsageQuery({ tenantId: '', meter: count, ...JAN })).toThrow('a usage query needs a tenantId');
    expect(() => meterUsageQuery({ tenantId: TENANT, meter: count, fromMs: JAN.toMs, toMs: JAN.fromMs })).toThrow('from < to');
    expect(() => meterUsageQuery({ tenantId: TENANT, meter: tokens, ...JAN, groupBy: ['user'] })).toThrow(
      'groupBy user is not a groupBy property of meter tokens',
    );
  });

  it.each([
    ['max', 'toString(ifNull(max(v), toDecimal128(0, 12))) AS value'],
    ['unique_count', 'toString(uniqExact(v)) AS value'],
    ['latest', "if(countIf(isNotNull(v)) = 0, '0', toString(argMaxIf(assumeNotNull(v), (t, id), isNotNull(v)))) AS value"],
  ])("%s aggregates the window's events", (aggregation, sql) => {
    const m = parseMeter({ code: 'm', name: 'M', eventType: 'e', aggregation, valueProperty: 'v' });
    expect(meterUsageQuery({ tenantId: TENANT, meter: m, ...JAN }).query).toContain(sql);
  });
});

describe('meterTimeseriesQuery and meterEventsQuery', () => {
  it('buckets from `from` in steps, totals and groups per bucket', () => {
    const q = meterTimeseriesQuery({ tenantId: TENANT, meter: tokens, ...JAN, groupBy: ['region'], stepMs: 3_600_000 });
    expect(q.query).toMatch(/^SELECT intDiv\(toUnixTimestamp64Milli\(t\) - \{fromMs:Int64\}, \{stepMs:Int64\}\) AS bucket/);
    expect(q.query).toContain('GROUP BY GROUPING SETS ((bucket), (bucket, group_key))');
    expect(q.query_params).toMatchObject({ tenantId: TENANT, fromMs: JAN.fromMs, stepMs: 3_600_000, group0_0: 'region' });
  });

  it('lists events oldest first with a bound, each with its deliveries', () => {
    const q = meterEventsQuery({ tenantId: TENANT, meter: count, ...JAN, limit: 50 });
    expect(q.query).toContain('ORDER BY t, id LIMIT {limit:UInt32}');
    expect(q.query).toContain('1 + r.n AS deliveries');
    expect(q.query).toContain('FROM usage_redeliveries WHERE tenant_id = {tenantId:String} AND winner_event_type = {eventType:String}');
    expect(q.query_params).toMatchObject({ tenantId: TENANT, limit: 50 });
  });
});

describe('meterDuplicatesQuery', () => {
  it("counts the redeliveries of the window's events as one range when the meter has no filter", () => {
    const q = meterDuplicatesQuery({ tenantId: TENANT, meter: count, ...JAN });
    expect(q.query).toBe(
      'SELECT count() AS duplicates FROM usage_redeliveries WHERE tenant_id = {tenantId:String} AND winner_event_type = {eventType:String} ' +
        "AND winner_event_time >= {from:DateTime64(3, 'UTC')} AND winner_event_time < {to:DateTime64(3, 'UTC')}",
    );
  });

  it('keeps only the redeliveries of events that pass the filters, checked on the first delivery', () => {
    const q = meterDuplicatesQuery({ tenantId: TENANT, meter: tokens, ...JAN });
    expect(q.query).toContain('(toString(source), event_id) IN ( SELECT toString(source), event_id FROM usage_events');
    expect(q.query).toContain('has({filter0_values:Array(String)}');
    expect(q.query_params).toMatchObject({ tenantId: TENANT, filter0_values: ['eu', 'us'] });
  });
});
