import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClickHouse } from '../../test/harness/clickhouse.ts';
import { migrateClickHouse } from './migrate.ts';

let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
beforeAll(async () => {
  ch = await createTestClickHouse();
});
afterAll(async () => ch?.dispose());

describe('ClickHouse through @clickhouse/client on the embedded engine', () => {
  it('inserts events and reads them back with bound parameters, exact types as strings', async () => {
    await ch.client.insert({
      table: 'usage_events',
      format: 'JSONEachRow',
      values: [
        {
          tenant_id: 't1',
          event_id: 'e1',
          event_type: 'api_call',
          event_time: '2026-01-01 00:00:00.000',
          subject: 's',
          source: 'api',
          data: '{"tokens":"0.000000000001"}',
        },
        {
          tenant_id: 't1',
          event_id: 'e2',
          event_type: 'api_call',
          event_time: '2026-01-01 00:00:01.000',
          subject: 's',
          source: 'api',
          data: '{"tokens":"1"}',
        },
        {
          tenant_id: 't2',
          event_id: 'e1',
          event_type: 'api_call',
          event_time: '2026-01-01 00:00:00.000',
          subject: 's',
          source: 'api',
          data: '{"tokens":"5"}',
        },
      ],
    });
    const rs = await ch.client.query({
      query: `SELECT count() AS n, sum(toDecimal128(JSONExtractString(data, 'tokens'), 12)) AS tokens
              FROM usage_events WHERE tenant_id = {tenant:String} AND event_type = {type:String}`,
      query_params: { tenant: 't1', type: 'api_call' },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ n: '2', tokens: '1.000000000001' }]);
  });

  it('treats a parameter value as data, never as SQL', async () => {
    const rs = await ch.client.query({
      query: 'SELECT count() AS n FROM usage_events WHERE tenant_id = {tenant:String}',
      query_params: { tenant: "t1' OR '1'='1" },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ n: '0' }]);
  });

  it('a second migration run applies nothing', async () => {
    expect(await migrateClickHouse(ch.client)).toEqual([]);
  });
});
