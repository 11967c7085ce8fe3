import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse, writeDeliveries } from '../../test/harness/clickhouse.ts';
import { aggregateUsage, parseJsonLossless, parseMeter, type Delivery, type Meter } from '../../domain/metering/index.ts';
import { readMeterUsage, readMeterUsageByTenant } from './usage-reader.ts';

// The cross-tenant read answers, in one query, what the per-tenant reader answers for each
// tenant, and a total that is the reference aggregation over every named tenant's events.

let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
const T1 = '00000000-0000-4000-8000-0000000000a1';
const T2 = '00000000-0000-4000-8000-0000000000a2';
const T3 = '00000000-0000-4000-8000-0000000000a3'; // not named: must never count
const JAN = { from: new Date(Date.UTC(2026, 0, 1)), to: new Date(Date.UTC(2026, 1, 1)) };
const deliveries: (Delivery & { tenantId: string })[] = [];
let clock = 0n;

function delivery(tenantId: string, id: string, time: string, data: string): Delivery & { tenantId: string } {
  clock += 1n;
  return {
    tenantId,
    id,
    type: 'llm',
    timeMs: Date.parse(time),
    ingestedAt: clock,
    data: parseJsonLossless(data) as Record<string, unknown>,
  };
}

async function write(batch: (Delivery & { tenantId: string })[]) {
  deliveries.push(...batch);
  await writeDeliveries(ch.client, batch);
}

const meter = (aggregation: string): Meter =>
  parseMeter({
    code: `m_${aggregation}`,
    name: 'M',
    eventType: 'llm',
    aggregation,
    ...(aggregation === 'count' ? {} : { valueProperty: 'tokens' }),
  });

// The reference deduplicates by id alone, so each id is made unique to its tenant first.
const reference = (m: Meter, tenants: string[]) =>
  aggregateUsage(
    m,
    deliveries.filter((d) => tenants.includes(d.tenantId)).map((d) => ({ ...d, id: `${d.tenantId}/${d.id}` })),
    { fromMs: JAN.from.getTime(), toMs: JAN.to.getTime() },
    [],
  );

beforeAll(async () => {
  ch = await createTestClickHouse();
  await write([
    // The same event id in two tenants is two events: identity includes the tenant.
    delivery(T1, 'a', '2026-01-02T10:00:00Z', '{"tokens":10,"user":"u1"}'),
    delivery(T2, 'a', '2026-01-02T10:00:00Z', '{"tokens":99999999999999.999999999999,"user":"u1"}'),
    delivery(T1, 'b', '2026-01-03T10:00:00Z', '{"tokens":"0.000000000001","user":"u2"}'),
    delivery(T3, 'z', '2026-01-03T10:00:00Z', '{"tokens":1000000,"user":"u9"}'),
    delivery(T2, 'late', '2026-02-01T00:00:00Z', '{"tokens":7,"user":"u3"}'),
  ]);
  await write([
    // Redeliveries: the first delivery wins in every tenant.
    delivery(T1, 'a', '2026-01-20T10:00:00Z', '{"tokens":5000,"user":"u7"}'),
    delivery(T2, 'a', '2026-01-05T10:00:00Z', '{"tokens":1,"user":"u8"}'),
  ]);
}, 60_000);

afterAll(async () => {
  await ch?.close();
});

describe('readMeterUsageByTenant', () => {
  for (const aggregation of ['count', 'sum', 'max', 'unique_count', 'latest']) {
    it(`${aggregation}: each tenant as the per-tenant reader, the total as the reference over the named tenants`, async () => {
      const m = meter(aggregation === 'unique_count' ? 'unique_count' : aggregation);
      const um =
        aggregation === 'unique_count' ? parseMeter({ code: 'm_u', name: 'U', eventType: 'llm', aggregation, valueProperty: 'user' }) : m;
      const result = await readMeterUsageByTenant(ch.client, { tenantIds: [T1, T2], meter: um, ...JAN });
      expect(result.value).toBe(reference(um, [T1, T2]).value);
      expect(result.events).toBe(3);
      expect(result.duplicates).toBe(2);
      expect(result.tenants.map((t) => t.tenantId)).toEqual([T1, T2]);
      for (const t of result.tenants) {
        const one = await readMeterUsage(ch.client, { tenantId: t.tenantId, meter: um, ...JAN });
        expect(t).toEqual({ tenantId: t.tenantId, value: one.value, events: one.events });
      }
    });
  }

  it('sums exactly across tenants (no float): 10 + 0.000000000001 + 99999999999999.999999999999', async () => {
    const result = await readMeterUsageByTenant(ch.client, { tenantIds: [T1, T2], meter: meter('sum'), ...JAN });
    expect(result.value).toBe('100000000000010');
  });

  it('counts only the named tenants, and answers zeros for none without a query', async () => {
    const one = await readMeterUsageByTenant(ch.client, { tenantIds: [T3], meter: meter('sum'), ...JAN });
    expect(one).toMatchObject({ value: '1000000', events: 1, tenants: [{ tenantId: T3, value: '1000000', events: 1 }] });
    const none = await readMeterUsageByTenant(ch.client, { tenantIds: [], meter: meter('sum'), ...JAN });
    expect(none).toMatchObject({ value: '0', events: 0, tenants: [] });
  });
});
