import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { connectClickHouse, type ClickHouse } from './client.ts';
import { migrateClickHouse, statementsOf } from './migrate.ts';
import { createUsageEventWriter, pendingRow } from './usage-writer.ts';
import { readMeterUsage } from './usage-reader.ts';
import { aggregateUsage, parseMeter, type Delivery } from '../../domain/metering/index.ts';

// Migration 0004 on data written under the old rule (every delivery stored, the first per
// (tenant, event id) billed at read time): what was billed must stay billed, exactly.

const MIGRATIONS = join(import.meta.dirname, 'migrations');
const T = '00000000-0000-4000-8000-00000000000a';
const U = '00000000-0000-4000-8000-00000000000b';
const tokens = parseMeter({ code: 'tokens', name: 'Tokens', eventType: 'llm', aggregation: 'sum', valueProperty: 'tokens' });
const month = (m: number) => ({ from: new Date(Date.UTC(2026, m - 1, 1)), to: new Date(Date.UTC(2026, m, 1)) });
let dir: string;
let ch: ClickHouse;
let oldDeliveries: (Delivery & { tenantId: string })[] = [];

async function all<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const rs = await client.query({ query, format: 'JSONEachRow' });
  return rs.json<T>();
}
const usage = (tenantId: string, m: number) => readMeterUsage(ch.client, { tenantId, meter: tokens, ...month(m) });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meterplane-dedup-migration-'));
  const old = join(dir, 'old-migrations');
  await cp(MIGRATIONS, old, { recursive: true, filter: (src) => !/000[34]_/.test(src) });
  ch = await connectClickHouse({ kind: 'embedded', path: join(dir, 'ch') });
  await migrateClickHouse(ch.client, old);
  const values = [
    [T, 'a', '2026-01-05 00:00:00.000', 'svc', '{"tokens":1}', '2026-01-05 00:00:00.000001'],
    [T, 'a', '2026-03-05 00:00:00.000', 'svc', '{"tokens":100}', '2026-03-05 00:00:00.000001'], // months later, another time
    [T, 'a', '2026-01-05 00:00:00.000', 'svc', '{"tokens":1}', '2026-01-05 00:00:09.000001'], // same payload again
    [T, 'b', '2026-01-06 00:00:00.000', 'svc', '{"tokens":2}', '2026-01-06 00:00:00.000001'],
    [T, 'b', '2026-01-07 00:00:00.000', 'other', '{"tokens":200}', '2026-01-07 00:00:00.000001'], // another source: was not billed
    [T, 'c', '2026-01-08 00:00:00.000', 'svc', '{"tokens":3}', '2026-01-08 00:00:00.000001'],
    [U, 'a', '2026-01-09 00:00:00.000', 'svc', '{"tokens":40}', '2026-01-02 00:00:00.000001'], // another tenant's "a"
  ].map(([tenant_id, event_id, event_time, source, data, ingested_at]) => ({
    tenant_id,
    event_id,
    event_type: 'llm',
    event_time,
    subject: '',
    source,
    data,
    ingested_at,
  }));
  await ch.client.insert({ table: 'usage_events', values, format: 'JSONEachRow' });
  oldDeliveries = values.map((v, i) => ({
    tenantId: v.tenant_id!,
    id: v.event_id!,
    type: 'llm',
    timeMs: Date.parse(`${v.event_time!.replace(' ', 'T')}Z`),
    ingestedAt: BigInt(Date.parse(`${v.ingested_at!.slice(0, 23).replace(' ', 'T')}Z`)) * 1000n + BigInt(i),
    data: JSON.parse(v.data!) as Record<string, unknown>,
  }));
});
afterAll(async () => {
  await ch?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('migration 0004', () => {
  it('keeps the billed first delivery per (tenant, id) in usage_events and moves every other delivery to usage_redeliveries', async () => {
    expect(await migrateClickHouse(ch.client)).toEqual(['0003_first_deliveries', '0004_dedup_existing_events']);
    expect(
      await all(ch.client, 'SELECT tenant_id, event_id, toString(source) AS source, data FROM usage_events ORDER BY tenant_id, event_id'),
    ).toEqual([
      { tenant_id: T, event_id: 'a', source: 'svc', data: '{"tokens":1}' },
      { tenant_id: T, event_id: 'b', source: 'svc', data: '{"tokens":2}' },
      { tenant_id: T, event_id: 'c', source: 'svc', data: '{"tokens":3}' },
      { tenant_id: U, event_id: 'a', source: 'svc', data: '{"tokens":40}' },
    ]);
    expect(
      await all(
        ch.client,
        'SELECT event_id, data, toString(winner_event_time) AS w FROM usage_redeliveries ORDER BY event_id, ingested_at',
      ),
    ).toEqual([
      { event_id: 'a', data: '{"tokens":1}', w: '2026-01-05 00:00:00.000' },
      { event_id: 'a', data: '{"tokens":100}', w: '2026-01-05 00:00:00.000' },
      { event_id: 'b', data: '{"tokens":200}', w: '2026-01-06 00:00:00.000' },
    ]);
    expect([await usage(T, 1), await usage(T, 3), await usage(U, 1)].map((u) => [u.value, u.events, u.duplicates])).toEqual([
      ['6', 3, 3],
      ['0', 0, 0],
      ['40', 1, 0],
    ]);
    // The old rule, as domain/metering's reference states it (first delivery per tenant and id):
    for (const [tenantId, m] of [
      [T, 1],
      [T, 3],
      [U, 1],
    ] as const) {
      const w = month(m);
      expect(await usage(tenantId, m)).toMatchObject(
        aggregateUsage(
          tokens,
          oldDeliveries.filter((d) => d.tenantId === tenantId),
          { fromMs: w.from.getTime(), toMs: w.to.getTime() },
        ),
      );
    }
  });

  it('fills the first-delivery index: a new redelivery of a migrated event is ignored, the same id under a new source is a new event', async () => {
    const write = createUsageEventWriter(ch.client);
    const row = (eventId: string, source: string, data: string) =>
      pendingRow({
        tenantId: T,
        eventId,
        eventType: 'llm',
        eventTime: '2026-02-01 00:00:00.000',
        subject: '',
        source,
        data,
        ingestedAt: '2026-12-01 00:00:00.000001',
      });
    expect(await write([row('a', 'svc', '{"tokens":9}'), row('c', 'svc', '{"tokens":9}'), row('c', 'third', '{"tokens":4}')])).toEqual({
      stored: 1,
      redelivered: 2,
    });
    expect((await usage(T, 1)).value).toBe('6');
    expect((await usage(T, 2)).value).toBe('4');
  });

  it('can run again: each statement finds its work done', async () => {
    const text = await readFile(join(MIGRATIONS, '0004_dedup_existing_events.sql'), 'utf8');
    const statements = statementsOf(text);
    expect(statements).toHaveLength(3);
    for (const statement of statements) await ch.client.command({ query: statement, clickhouse_settings: { mutations_sync: '2' } });
    expect(await all(ch.client, 'SELECT count() AS n FROM usage_events')).toEqual([{ n: '5' }]);
    expect(await all(ch.client, 'SELECT count() AS n FROM usage_redeliveries')).toEqual([{ n: '5' }]);
    expect(await usage(T, 1)).toMatchObject({ value: '6', events: 3, duplicates: 5 }); // a: 2 old + 1 new, b: 1, c: 1
  });
});
