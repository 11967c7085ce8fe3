import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClusterClickHouse } from '../../test/harness/clickhouse-cluster.ts';
import { usageRowMaker } from '../../test/harness/clickhouse.ts';
import { createUsageEventWriter, pendingRow } from './usage-writer.ts';

// The deduplicating writer on a two-shard cluster: the first-delivery index is a table of the
// node the client is connected to, the events and redeliveries go to the tenant's shard.

let ch: Awaited<ReturnType<typeof createTestClusterClickHouse>>;
const A = 'tenant-a';
const B = 'tenant-b';
const row = usageRowMaker('{"tokens":5}');

async function rows<T>(query: string, query_params: Record<string, unknown> = {}): Promise<T[]> {
  return (await ch.client.query({ query, query_params, format: 'JSONEachRow' })).json<T>();
}
const placement = (id: string) =>
  rows<{ t: string; shard: number; n: string }>(
    `SELECT 'event' AS t, _shard_num AS shard, count() AS n FROM usage_events WHERE event_id = {id:String} GROUP BY shard
     UNION ALL SELECT 'redelivery' AS t, _shard_num AS shard, count() AS n FROM usage_redeliveries WHERE event_id = {id:String} GROUP BY shard
     ORDER BY t, shard`,
    { id },
  );

beforeAll(async () => {
  ch = await createTestClusterClickHouse();
});
afterAll(async () => ch?.dispose());

describe('the deduplicating writer on a two-shard cluster', () => {
  it('stores an event once on its tenant shard and its redeliveries, months later, on the same shard', async () => {
    const write = createUsageEventWriter(ch.client);
    expect(await write([pendingRow(row(A, 'w1')), pendingRow(row(B, 'w1'))])).toEqual({ stored: 2, redelivered: 0 });
    const later = { eventTime: '2026-05-01 00:00:00.000', data: '{"tokens":999}' };
    expect(await write([pendingRow(row(A, 'w1', later)), pendingRow(row(B, 'w1', later)), pendingRow(row(A, 'w1', later))])).toEqual({
      stored: 0,
      redelivered: 3,
    });
    const [a] = await rows<{ shard: number }>('SELECT _shard_num AS shard FROM usage_events WHERE tenant_id = {t:String}', { t: A });
    const [b] = await rows<{ shard: number }>('SELECT _shard_num AS shard FROM usage_events WHERE tenant_id = {t:String}', { t: B });
    expect(a!.shard).not.toBe(b!.shard);
    const placed = await rows<{ tenant_id: string; shards: number[]; n: string }>(
      `SELECT tenant_id, groupUniqArray(_shard_num) AS shards, count() AS n FROM usage_redeliveries WHERE event_id = 'w1' GROUP BY tenant_id ORDER BY tenant_id`,
    );
    expect(placed).toEqual([
      { tenant_id: A, shards: [a!.shard], n: '2' },
      { tenant_id: B, shards: [b!.shard], n: '1' },
    ]);
    expect(await placement('w1')).toHaveLength(4);
  });

  it('through a node that does not hold the index, a flush fails and stores nothing (never a second event)', async () => {
    const write = createUsageEventWriter(ch.client);
    await write([pendingRow(row(A, 'w2'))]);
    await ch.client.command({ query: 'RENAME TABLE usage_first_deliveries TO usage_first_deliveries_moved' });
    try {
      await expect(write([pendingRow(row(A, 'w2')), pendingRow(row(A, 'w3'))])).rejects.toThrow(/usage_first_deliveries/);
    } finally {
      await ch.client.command({ query: 'RENAME TABLE usage_first_deliveries_moved TO usage_first_deliveries' });
    }
    const counts = await rows<{ id: string; n: string }>(
      "SELECT event_id AS id, count() AS n FROM usage_events WHERE tenant_id = {t:String} AND event_id IN ('w2', 'w3') GROUP BY id ORDER BY id",
      { t: A },
    );
    expect(counts).toEqual([{ id: 'w2', n: '1' }]);
    // The client's retry, with the index back, is told apart as before.
    expect(await write([pendingRow(row(A, 'w2')), pendingRow(row(A, 'w3'))])).toEqual({ stored: 1, redelivered: 1 });
  });

  // The embedded engine keeps the settings of a query for the queries after it (a session, not
  // a server's per-query settings), which is what lets these two checks see what the writer sent.
  const setting = async (name: string) =>
    (await rows<{ value: string }>('SELECT value FROM system.settings WHERE name = {n:String}', { n: name }))[0]!.value;

  it('sends its confirming reads with sequential consistency (and only when it has hits to confirm)', async () => {
    const write = createUsageEventWriter(ch.client);
    await ch.client.command({ query: 'SELECT 1', clickhouse_settings: { select_sequential_consistency: '0' } });
    await write([pendingRow(row(B, 'w4'))]);
    expect(await setting('select_sequential_consistency')).toBe('0');
    await write([pendingRow(row(B, 'w4'))]);
    expect(await setting('select_sequential_consistency')).toBe('1');
  });

  it("confirms against the tenant's shard only: its reads pass where a read naming no tenant is refused", async () => {
    const write = createUsageEventWriter(ch.client);
    await write([pendingRow(row(A, 'w5'))]);
    await ch.client.command({ query: 'SELECT 1', clickhouse_settings: { force_optimize_skip_unused_shards: '1' } });
    try {
      await expect(rows('SELECT count() FROM usage_events')).rejects.toThrow(/shard/i);
      await ch.client.command({ query: 'SELECT 1', clickhouse_settings: { force_optimize_skip_unused_shards: '1' } });
      expect(await write([pendingRow(row(A, 'w5')), pendingRow(row(B, 'w4'))])).toEqual({ stored: 0, redelivered: 2 });
      // An index entry whose event was never stored (a flush that failed in between) takes the
      // wider confirming read too: the delivery is then the first.
      await ch.client.insert({
        table: 'usage_first_deliveries',
        format: 'JSONEachRow',
        values: [
          {
            tenant_id: A,
            source: 'svc',
            event_id: 'w6',
            event_type: 'llm',
            event_time: '2026-01-10 00:00:00.000',
            ingested_at: '2026-02-01 00:00:00.000000',
          },
        ],
      });
      await ch.client.command({ query: 'SELECT 1', clickhouse_settings: { force_optimize_skip_unused_shards: '1' } });
      expect(await write([pendingRow(row(A, 'w6'))])).toEqual({ stored: 1, redelivered: 0 });
    } finally {
      await ch.client.command({ query: 'SELECT 1', clickhouse_settings: { force_optimize_skip_unused_shards: '0' } });
    }
  });
});
