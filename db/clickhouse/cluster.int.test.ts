import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseSettings } from '@clickhouse/client';
import { createTestClusterClickHouse } from '../../test/harness/clickhouse-cluster.ts';
import { writeDeliveries } from '../../test/harness/clickhouse.ts';
import { parseMeter } from '../../domain/metering/index.ts';
import { CLUSTER_SETTINGS } from './cluster-settings.ts';
import { meterDuplicatesQuery, meterEventsQuery, meterTimeseriesQuery, meterUsageByWindowQuery, meterUsageQuery } from './usage-query.ts';
import { eventDeliveriesQueries } from './event-deliveries.ts';
import { readAllTenantsAnomalyCounts } from './anomaly-query.ts';
import { readMeterUsageByTenant } from './usage-reader.ts';

// What only a sharded deployment has: tenants on different shards, subqueries that the
// default settings refuse, and single-tenant reads that must reach one shard only.

let ch: Awaited<ReturnType<typeof createTestClusterClickHouse>>;
// cityHash64 sends these two to different shards (asserted below).
const A = 'tenant-a';
const B = 'tenant-b';
const JAN = { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 1, 1) };
const filtered = parseMeter({
  code: 'eu',
  name: 'EU',
  eventType: 'llm',
  aggregation: 'sum',
  valueProperty: 'tokens',
  groupBy: ['region'],
  filters: { region: ['eu'] },
});

beforeAll(async () => {
  ch = await createTestClusterClickHouse();
  const d = (tenantId: string, id: string, day: number, tokens: number, tick: number) => ({
    tenantId,
    id,
    type: 'llm',
    timeMs: Date.UTC(2026, 0, day, 12),
    ingestedAt: BigInt(tick),
    data: { tokens, region: 'eu' },
  });
  await writeDeliveries(ch.client, [d(A, 'e1', 2, 10, 1), d(A, 'e2', 3, 5, 2), d(B, 'e1', 2, 7, 3)]);
  await writeDeliveries(ch.client, [d(A, 'e1', 9, 999, 4), d(B, 'e1', 9, 999, 5), d(B, 'e1', 10, 999, 6)]); // redeliveries
});
afterAll(async () => ch?.dispose());

// The embedded engine keeps a query's settings for the queries after it, so the check that
// forces shard skipping is switched off again explicitly by every other query.
async function rows<T>(q: { query: string; query_params: Record<string, unknown> }, settings: ClickHouseSettings = {}): Promise<T[]> {
  return (
    await ch.client.query({ ...q, format: 'JSONEachRow', clickhouse_settings: { force_optimize_skip_unused_shards: '0', ...settings } })
  ).json<T>();
}

describe('the usage tables on a two-shard cluster', () => {
  it('puts each tenant, with its redeliveries, on the shard of its sharding key', async () => {
    const placed = await rows<{ tenant_id: string; shards: number[]; n: string }>({
      query: `SELECT tenant_id, groupUniqArray(_shard_num) AS shards, count() AS n
              FROM (SELECT tenant_id, _shard_num FROM usage_events UNION ALL SELECT tenant_id, _shard_num FROM usage_redeliveries)
              GROUP BY tenant_id ORDER BY tenant_id`,
      query_params: {},
    });
    expect(placed.map((r) => [r.tenant_id, r.shards.length, r.n])).toEqual([
      [A, 1, '3'],
      [B, 1, '3'],
    ]);
    expect(placed[0]!.shards[0]).not.toBe(placed[1]!.shards[0]);
  });

  it('refuses the filtered-duplicates subquery under the default distributed_product_mode, and answers it with the cluster settings', async () => {
    const q = meterDuplicatesQuery({ tenantId: B, meter: filtered, ...JAN });
    await expect(rows(q, { distributed_product_mode: 'deny' })).rejects.toThrow(/Double-distributed IN\/JOIN subqueries is denied/);
    expect(await rows(q)).toEqual([{ duplicates: '2' }]);
  });

  it('sends every single-tenant read to one shard only', async () => {
    const force: ClickHouseSettings = { force_optimize_skip_unused_shards: '1' };
    const q = { tenantId: A, meter: filtered, ...JAN };
    expect(await rows(meterUsageQuery(q), force)).toEqual([{ group_key: [], value: '15', events: '2' }]);
    expect(await rows(meterDuplicatesQuery(q), force)).toEqual([{ duplicates: '1' }]);
    await expect(rows(meterTimeseriesQuery({ ...q, stepMs: 86_400_000 }), force)).resolves.toHaveLength(2);
    await expect(rows(meterEventsQuery({ ...q, limit: 10 }), force)).resolves.toHaveLength(2);
    const windows = [
      { tenantId: A, ...JAN },
      { tenantId: A, fromMs: JAN.fromMs, toMs: Date.UTC(2026, 0, 3) },
    ];
    expect(await rows(meterUsageByWindowQuery({ meter: filtered, windows }), force)).toEqual([
      { window_no: 1, value: '15', events: '2', duplicates: '1' },
      { window_no: 2, value: '10', events: '1', duplicates: '1' },
    ]);
    const explain = eventDeliveriesQueries({ tenantId: B, id: 'e1' });
    await expect(rows(explain.events, force)).resolves.toHaveLength(1);
    await expect(rows(explain.redeliveries, force)).resolves.toHaveLength(2);
    // The same setting refuses a read that names no tenant, so the checks above can fail.
    await expect(rows({ query: 'SELECT count() FROM usage_events', query_params: {} }, force)).rejects.toThrow(/shard/i);
  });

  it('adds tenants of both shards once each in the cross-tenant read and the anomaly counts', async () => {
    await rows({ query: 'SELECT 1', query_params: {} }); // the readers below send no force setting of their own
    const byTenant = await readMeterUsageByTenant(ch.client, {
      tenantIds: [A, B],
      meter: filtered,
      from: new Date(JAN.fromMs),
      to: new Date(JAN.toMs),
    });
    expect(byTenant).toMatchObject({
      value: '22',
      events: 3,
      duplicates: 3,
      tenants: [
        { tenantId: A, value: '15', events: 2 },
        { tenantId: B, value: '7', events: 1 },
      ],
    });
    const counts = await readAllTenantsAnomalyCounts(ch.client, {
      scope: 'all-tenants',
      windowEndMs: Date.UTC(2026, 0, 3, 12, 5),
      bucketMs: 300_000,
      buckets: 2,
      days: 1,
    });
    expect(counts.map((c) => [c.tenantId, c.day, c.events]).sort()).toEqual(
      [
        [A, 0, 1],
        [A, 1, 1],
        [B, 1, 1],
      ].sort(),
    );
  });

  it('the client sends the cluster settings on every query', async () => {
    const got = await rows<{ name: string; value: string }>({
      query: 'SELECT name, value FROM system.settings WHERE name IN {n:Array(String)} ORDER BY name',
      query_params: { n: Object.keys(CLUSTER_SETTINGS) },
    });
    expect(Object.fromEntries(got.map((s) => [s.name, s.value]))).toEqual({
      distributed_foreground_insert: '1',
      distributed_product_mode: 'local',
      insert_quorum: 'auto',
      insert_quorum_parallel: '0',
      optimize_skip_unused_shards: '1',
    });
  });
});
