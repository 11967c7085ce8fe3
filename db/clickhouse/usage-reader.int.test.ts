import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, writeDeliveries } from '../../test/harness/clickhouse.ts';
import { aggregateUsage, parseJsonLossless, parseMeter, type Delivery, type Meter } from '../../domain/metering/index.ts';
import { createUsageEventWriter, pendingRow } from './usage-writer.ts';
import { listMeterEvents, readMeterTimeseries, readMeterUsage } from './usage-reader.ts';

// The usage-reader contract: on the same deliveries, the ClickHouse reader answers what
// domain/metering's reference aggregation answers, for every aggregation, filter and groupBy.

let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
const T1 = '00000000-0000-4000-8000-000000000001';
const T2 = '00000000-0000-4000-8000-000000000002';
const JAN = { from: new Date(Date.UTC(2026, 0, 1)), to: new Date(Date.UTC(2026, 1, 1)) };
const deliveries: (Delivery & { tenantId: string })[] = [];
let clock = 0n;

function delivery(tenantId: string, id: string, time: string, data: string, type = 'llm'): Delivery & { tenantId: string } {
  clock += 1n;
  return { tenantId, id, type, timeMs: Date.parse(time), ingestedAt: clock, data: parseJsonLossless(data) as Record<string, unknown> };
}

async function write(batch: (Delivery & { tenantId: string })[]) {
  deliveries.push(...batch);
  await writeDeliveries(ch.client, batch);
}

const meter = (aggregation: string, extra: Record<string, unknown> = {}): Meter =>
  parseMeter({
    code: `m_${aggregation}`,
    name: 'M',
    eventType: 'llm',
    aggregation,
    groupBy: ['model', 'region'],
    ...(aggregation === 'count' ? {} : { valueProperty: 'usage.tokens' }),
    ...extra,
  });

const expected = (m: Meter, tenantId: string, window: { from: Date; to: Date }, groupBy: string[] = []) =>
  aggregateUsage(
    m,
    deliveries.filter((d) => d.tenantId === tenantId),
    { fromMs: window.from.getTime(), toMs: window.to.getTime() },
    groupBy,
  );

beforeAll(async () => {
  ch = await createTestClickHouse();
  // Three separate inserts (batches), as three flushes would write them.
  await write([
    delivery(T1, 'a', '2026-01-02T10:00:00Z', '{"usage":{"tokens":10},"model":"gpt","region":"eu","user":"u1"}'),
    delivery(T1, 'b', '2026-01-03T10:00:00Z', '{"usage":{"tokens":"0.000000000001"},"model":"gpt","region":"us","user":"u2"}'),
    delivery(
      T1,
      'c',
      '2026-01-04T10:00:00Z',
      '{"usage":{"tokens":12345678901234567890.123456789012},"model":"claude","region":"eu","user":"u1"}',
    ),
    delivery(T1, 'd', '2026-01-05T10:00:00Z', '{"model":"claude","region":"eu","user":"u3"}'),
    delivery(T1, 'e', '2026-01-06T10:00:00Z', '{"usage":{"tokens":3},"model":"gpt"}', 'other'),
    delivery(T1, 'm', '2025-12-31T23:59:59.999Z', '{"usage":{"tokens":100},"model":"gpt","region":"eu"}'),
    delivery(T2, 'a', '2026-01-02T10:00:00Z', '{"usage":{"tokens":5000},"model":"gpt","region":"eu"}'),
  ]);
  await write([
    delivery(T1, 'a', '2026-01-02T10:00:00Z', '{"usage":{"tokens":10},"model":"gpt","region":"eu","user":"u1"}'), // same payload again
    delivery(T1, 'b', '2026-01-20T10:00:00Z', '{"usage":{"tokens":999},"model":"gpt","region":"us","user":"u2"}'), // redelivery, new time and data
    delivery(T1, 'f', '2026-01-31T23:59:59.999Z', '{"usage":{"tokens":-2.5},"model":"gpt","region":"eu","user":"u4"}'),
    delivery(T1, 'g', '2026-02-01T00:00:00Z', '{"usage":{"tokens":8},"model":"gpt","region":"eu","user":"u5"}'),
    delivery(T1, 'm', '2026-01-15T00:00:00Z', '{"usage":{"tokens":100},"model":"gpt","region":"eu"}'), // first delivery was in December
  ]);
  await write([
    delivery(T1, 'a', '2026-01-09T10:00:00Z', '{"usage":{"tokens":10},"model":"gpt","region":"eu","user":"u1"}'), // third delivery of a
    delivery(T1, 'h', '2026-01-10T10:00:00Z', '{"usage":{"tokens":"7.25"},"model":"claude","region":"us","user":"u2"}'),
    delivery(T1, 'h2', '2026-01-10T10:00:00Z', '{"usage":{"tokens":"not a number"},"model":"claude","region":"us","user":"u2"}'),
  ]);
});
afterAll(async () => ch?.dispose());

describe('readMeterUsage matches the reference aggregation', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['count', {}],
    ['sum', {}],
    ['max', {}],
    ['unique_count', { valueProperty: 'user' }],
    ['latest', {}],
    ['count', { filters: { region: ['eu'] } }],
    ['sum', { filters: { region: ['eu'], model: ['gpt', 'claude'] } }],
    ['max', { filters: { model: ['claude'] } }],
    ['unique_count', { valueProperty: 'user', filters: { region: ['us'] } }],
    ['latest', { filters: { region: ['us'] } }],
    ['sum', { allowNegative: true }],
    ['max', { allowNegative: true, filters: { model: ['gpt'], region: ['eu'] } }],
    ['latest', { allowNegative: true }],
  ];
  it.each(cases)('%s %j, total and grouped', async (aggregation, extra) => {
    const m = meter(aggregation, extra);
    const total = await readMeterUsage(ch.client, { tenantId: T1, meter: m, ...JAN });
    expect({ value: total.value, events: total.events }).toEqual(expected(m, T1, JAN));
    const grouped = await readMeterUsage(ch.client, { tenantId: T1, meter: m, ...JAN, groupBy: ['model', 'region'] });
    expect({ value: grouped.value, events: grouped.events, groups: grouped.groups }).toEqual(expected(m, T1, JAN, ['model', 'region']));
  });

  it('sums beyond a double exactly and counts each id once', async () => {
    const total = await readMeterUsage(ch.client, { tenantId: T1, meter: meter('sum'), ...JAN });
    // f's -2.5 is skipped: the meter does not allow negative values.
    expect(total).toEqual({ meter: 'm_sum', aggregation: 'sum', value: '12345678901234567907.373456789013', events: 7, duplicates: 3 });
    const net = await readMeterUsage(ch.client, { tenantId: T1, meter: meter('sum', { allowNegative: true }), ...JAN });
    expect(net.value).toBe('12345678901234567904.873456789013');
  });

  it('never mixes tenants: the same ids of another tenant are its own events', async () => {
    const t2 = await readMeterUsage(ch.client, { tenantId: T2, meter: meter('sum'), ...JAN });
    expect(t2).toMatchObject({ value: '5000', events: 1, duplicates: 0 });
  });

  it('an event first delivered in December stays in December', async () => {
    const dec = { from: new Date(Date.UTC(2025, 11, 1)), to: JAN.from };
    expect((await readMeterUsage(ch.client, { tenantId: T1, meter: meter('sum'), ...dec })).value).toBe('100');
  });

  it('answers zero for an empty window', async () => {
    const empty = { from: new Date(Date.UTC(2020, 0, 1)), to: new Date(Date.UTC(2020, 1, 1)) };
    expect(await readMeterUsage(ch.client, { tenantId: T1, meter: meter('max'), ...empty, groupBy: ['model'] })).toEqual({
      meter: 'm_max',
      aggregation: 'max',
      value: '0',
      events: 0,
      duplicates: 0,
      groups: [],
    });
  });
});

describe('readMeterTimeseries', () => {
  it('buckets by day from `from`, every bucket present, groups per bucket', async () => {
    const m = meter('sum');
    const window = { from: new Date(Date.UTC(2026, 0, 2)), to: new Date(Date.UTC(2026, 0, 5)) };
    const { points } = await readMeterTimeseries(ch.client, { tenantId: T1, meter: m, ...window, stepMs: 86_400_000, groupBy: ['model'] });
    expect(points.map((p) => [p.t.toISOString(), p.value, p.events])).toEqual([
      ['2026-01-02T00:00:00.000Z', '10', 1],
      ['2026-01-03T00:00:00.000Z', '0.000000000001', 1],
      ['2026-01-04T00:00:00.000Z', '12345678901234567890.123456789012', 1],
    ]);
    expect(points[0]!.groups).toEqual([{ key: { model: 'gpt' }, value: '10', events: 1 }]);
    for (const p of points) {
      const day = { from: p.t, to: new Date(p.t.getTime() + 86_400_000) };
      expect(p.value).toBe(expected(m, T1, day).value);
    }
  });
});

describe('createUsageEventWriter', () => {
  it('writes the same rows through the generic INSERT path a ClickHouse server uses', async () => {
    // Hiding the chdb escape hatch makes the writer take the path it takes over HTTP.
    const generic = new Proxy(ch.client, {
      get: (target, prop) => {
        if (prop === 'connection') return undefined;
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await createUsageEventWriter(generic)([
      pendingRow({
        tenantId: T2,
        eventId: 'generic-1',
        eventType: 'llm',
        eventTime: '2026-03-01 00:00:00.000',
        subject: 's',
        source: 'x',
        data: '{"usage":{"tokens":"1.5"}}',
        ingestedAt: '2026-03-01 00:00:00.000001',
      }),
    ]);
    const rs = await ch.client.query({
      query: "SELECT event_id, data FROM usage_events WHERE event_id = 'generic-1'",
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ event_id: 'generic-1', data: '{"usage":{"tokens":"1.5"}}' }]);
  });
});

describe('listMeterEvents', () => {
  it('lists the deduplicated events a meter counts, first delivery as stored', async () => {
    const events = await listMeterEvents(ch.client, {
      tenantId: T1,
      meter: meter('sum', { filters: { region: ['us'] } }),
      ...JAN,
      limit: 10,
    });
    expect(events.map((e) => [e.id, e.time, JSON.stringify(e.data), e.deliveries])).toEqual([
      ['b', '2026-01-03T10:00:00.000Z', '{"usage":{"tokens":"0.000000000001"},"model":"gpt","region":"us","user":"u2"}', 2],
      ['h', '2026-01-10T10:00:00.000Z', '{"usage":{"tokens":"7.25"},"model":"claude","region":"us","user":"u2"}', 1],
      ['h2', '2026-01-10T10:00:00.000Z', '{"usage":{"tokens":"not a number"},"model":"claude","region":"us","user":"u2"}', 1],
    ]);
    const limited = await listMeterEvents(ch.client, { tenantId: T1, meter: meter('count'), ...JAN, limit: 2 });
    expect(limited.map((e) => e.id)).toEqual(['a', 'b']);
  });
});
