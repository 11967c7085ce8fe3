import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, writeDeliveries } from '../../test/harness/clickhouse.ts';
import { aggregateUsage, parseJsonLossless, parseMeter, type Delivery, type Meter } from '../../domain/metering/index.ts';
import { readMeterUsage, readMeterUsageByWindow, type UsageWindow } from './usage-reader.ts';

// The batched read answers, in one query, what the single-window reader (and the reference
// aggregation) answers for each window: several tenants, overlapping windows, redeliveries
// whose first delivery lies in another window, a window with nothing in it.

let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
const T1 = '00000000-0000-4000-8000-0000000000b1';
const T2 = '00000000-0000-4000-8000-0000000000b2';
const T3 = '00000000-0000-4000-8000-0000000000b3'; // never in a window: must never count
const deliveries: (Delivery & { tenantId: string })[] = [];
let clock = 0n;
const day = (d: number) => new Date(Date.UTC(2026, 0, d));

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
    ...(aggregation === 'count' ? {} : { valueProperty: aggregation === 'unique_count' ? 'user' : 'tokens' }),
    ...extra,
  });

const reference = (m: Meter, w: UsageWindow) =>
  aggregateUsage(
    m,
    deliveries.filter((d) => d.tenantId === w.tenantId),
    { fromMs: w.from.getTime(), toMs: w.to.getTime() },
    [],
  );

// Daily windows of T1 (the shape of late-usage re-reads), one window that spans three of them
// (a cumulative run), T2's month so far (a budget window), and an empty window of T2.
const windows: UsageWindow[] = [
  ...[1, 2, 3, 4, 5].map((d) => ({ tenantId: T1, from: day(d), to: day(d + 1) })),
  { tenantId: T1, from: day(2), to: day(5) },
  { tenantId: T2, from: day(1), to: day(20) },
  { tenantId: T2, from: day(25), to: day(26) },
];

beforeAll(async () => {
  ch = await createTestClickHouse();
  await write([
    delivery(T1, 'a', '2026-01-01T10:00:00Z', '{"tokens":10,"user":"u1"}'),
    delivery(T1, 'b', '2026-01-02T10:00:00Z', '{"tokens":"0.000000000001","user":"u2"}'),
    delivery(T1, 'c', '2026-01-03T23:59:59.999Z', '{"tokens":12345678901234567890.123456789012,"user":"u1"}'),
    delivery(T1, 'd', '2026-01-04T00:00:00Z', '{"tokens":3,"user":"u3"}'),
    delivery(T1, 'x', '2026-01-04T12:00:00Z', '{"tokens":500}', 'other'),
    delivery(T2, 'a', '2026-01-02T10:00:00Z', '{"tokens":7,"user":"u1"}'),
    delivery(T3, 'z', '2026-01-02T10:00:00Z', '{"tokens":1000000,"user":"u9"}'),
  ]);
  await write([
    // Redeliveries moved into another window: the first delivery's time decides the window.
    delivery(T1, 'a', '2026-01-05T10:00:00Z', '{"tokens":999,"user":"u7"}'),
    delivery(T1, 'b', '2026-01-02T11:00:00Z', '{"tokens":1,"user":"u2"}'),
    delivery(T2, 'a', '2026-01-25T10:00:00Z', '{"tokens":1,"user":"u8"}'),
    delivery(T1, 'e', '2025-12-31T23:00:00Z', '{"tokens":4,"user":"u4"}'),
  ]);
  await write([delivery(T1, 'e', '2026-01-05T01:00:00Z', '{"tokens":4,"user":"u4"}')]); // first delivery before every window
}, 60_000);
afterAll(async () => ch?.dispose());

describe('readMeterUsageByWindow', () => {
  for (const aggregation of ['count', 'sum', 'max', 'unique_count', 'latest']) {
    it(`${aggregation}: each window as the reference and as the single-window reader`, async () => {
      const m = meter(aggregation);
      const batched = await readMeterUsageByWindow(ch.client, { meter: m, windows });
      expect(batched).toHaveLength(windows.length);
      for (const [i, w] of windows.entries()) {
        expect({ value: batched[i]!.value, events: batched[i]!.events }).toEqual(reference(m, w));
        const { groups: _, ...one } = await readMeterUsage(ch.client, { tenantId: w.tenantId, meter: m, from: w.from, to: w.to });
        expect(batched[i]).toEqual(one);
      }
    });
  }

  it('counts the redeliveries of each window, and a redelivery in another window moves nothing', async () => {
    const [d1, d2, , , d5, run, t2] = await readMeterUsageByWindow(ch.client, { meter: meter('count'), windows });
    expect([d1!.events, d1!.duplicates]).toEqual([1, 1]); // a, delivered again on the 5th
    expect([d2!.events, d2!.duplicates]).toEqual([1, 1]); // b
    expect([d5!.events, d5!.duplicates]).toEqual([0, 0]); // a's and e's redeliveries count where they were first delivered
    expect(run!.events).toBe(3); // b, c, d (the 2nd to the 4th)
    expect([t2!.events, t2!.value]).toEqual([1, '1']);
  });

  it('a filter applies per window as in the single read', async () => {
    const m = meter('sum', { filters: { user: ['u1'] } });
    const batched = await readMeterUsageByWindow(ch.client, { meter: m, windows });
    expect(batched.map((u) => u.value)).toEqual(windows.map((w) => reference(m, w).value));
  });

  it('answers nothing for no windows, and refuses an empty window or tenant', async () => {
    expect(await readMeterUsageByWindow(ch.client, { meter: meter('count'), windows: [] })).toEqual([]);
    await expect(
      readMeterUsageByWindow(ch.client, { meter: meter('count'), windows: [{ tenantId: T1, from: day(2), to: day(2) }] }),
    ).rejects.toThrow(/from < to/);
    await expect(
      readMeterUsageByWindow(ch.client, { meter: meter('count'), windows: [{ tenantId: '', from: day(1), to: day(2) }] }),
    ).rejects.toThrow(/tenantId/);
  });

  it('keeps 1,000 windows of 200 tenants apart in one query', async () => {
    const many: UsageWindow[] = Array.from({ length: 1000 }, (_, i) => ({
      tenantId: i % 5 === 0 ? T1 : `00000000-0000-4000-8000-${String(i % 200).padStart(12, '0')}`,
      from: day(1 + (i % 5)),
      to: day(2 + (i % 5)),
    }));
    const batched = await readMeterUsageByWindow(ch.client, { meter: meter('count'), windows: many });
    expect(batched.map((u) => u.events)).toEqual(many.map((w) => reference(meter('count'), w).events));
  });
});
