import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { createTestClickHouse, usageRowMaker } from '../../test/harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../../test/harness/api.ts';
import { createUsageEventWriter, pendingRow } from '../../db/clickhouse/usage-writer.ts';
import { readMeterUsage, listMeterEvents } from '../../db/clickhouse/usage-reader.ts';
import { parseMeter } from '../../domain/metering/index.ts';
import { createPgFlushLock } from './flush-lock.ts';
import { failingInsertsInto } from '../../test/harness/clickhouse-faults.ts';

// Deduplication at ingest, attacked: redeliveries months later, two requests (and two
// replicas) at once, one id under two sources, a flush that fails between its inserts.
// The migration of old data: db/clickhouse/migrate-dedup.int.test.ts.

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;
const key = (k: string) => ({ 'X-API-Key': k });
const tokens = parseMeter({
  code: 'tokens',
  name: 'Tokens',
  eventType: 'llm',
  aggregation: 'sum',
  valueProperty: 'tokens',
  groupBy: ['model'],
});
const month = (y: number, m: number) => ({ from: new Date(Date.UTC(y, m - 1, 1)), to: new Date(Date.UTC(y, m, 1)) });

async function count(client: ClickHouseClient, query: string, query_params: Record<string, unknown>): Promise<number> {
  const rs = await client.query({ query, query_params, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]!.n);
}
const stored = (id: string) => count(ch.client, 'SELECT count() AS n FROM usage_events WHERE event_id = {id:String}', { id });
const redelivered = (id: string) => count(ch.client, 'SELECT count() AS n FROM usage_redeliveries WHERE event_id = {id:String}', { id });
const usage = (tenantId: string, window: { from: Date; to: Date }) => readMeterUsage(ch.client, { tenantId, meter: tokens, ...window });

const row = usageRowMaker('{"tokens":5,"model":"gpt"}');

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client });
  await api.request
    .post('/api/meters')
    .set({ Authorization: `Bearer ${api.tokens.admin}` })
    .send({ code: 'tokens', name: 'Tokens', eventType: 'llm', aggregation: 'sum', valueProperty: 'tokens', groupBy: ['model'] });
});
afterAll(async () => {
  await Promise.all([db?.drop(), ch?.dispose()]);
});

describe('deduplication at ingest', () => {
  it('a redelivery months later with another time and payload neither counts nor moves the event', async () => {
    const ingest = (body: object) => api.request.post('/api/usage/ingest').set(key(api.apiKeys.a)).send(body);
    expect((await ingest({ id: 'late-1', type: 'llm', time: '2026-01-15T10:00:00Z', data: { tokens: 7, model: 'gpt' } })).status).toBe(202);
    expect((await ingest({ id: 'late-1', type: 'llm', time: '2026-05-20T10:00:00Z', data: { tokens: 700, model: 'claude' } })).status).toBe(
      202,
    );
    expect(await stored('late-1')).toBe(1);
    expect(await redelivered('late-1')).toBe(1);
    expect(await usage(api.tenants.a.id, month(2026, 1))).toMatchObject({ value: '7', events: 1, duplicates: 1 });
    expect(await usage(api.tenants.a.id, month(2026, 5))).toMatchObject({ value: '0', events: 0, duplicates: 0 });
    // The redelivery is kept as sent, against the event it repeats.
    const rs = await ch.client.query({
      query: "SELECT toString(event_time) AS t, data, toString(winner_event_time) AS w FROM usage_redeliveries WHERE event_id = 'late-1'",
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([
      { t: '2026-05-20 10:00:00.000', data: '{"tokens":700,"model":"claude"}', w: '2026-01-15 10:00:00.000' },
    ]);
  });

  it('two requests with the same id at once store one event; the earlier one in a request wins', async () => {
    const body = (tokens: number) => [
      { id: 'race-1', type: 'llm', time: '2026-02-03T00:00:00Z', data: { tokens, model: 'gpt' } },
      { id: 'race-1', type: 'llm', time: '2026-02-04T00:00:00Z', data: { tokens: tokens + 1, model: 'gpt' } },
    ];
    const [a, b] = await Promise.all([1, 100].map((t) => api.request.post('/api/usage/ingest').set(key(api.apiKeys.a)).send(body(t))));
    expect([a!.status, b!.status]).toEqual([202, 202]);
    expect(await stored('race-1')).toBe(1);
    expect(await redelivered('race-1')).toBe(3);
    const [event] = await listMeterEvents(ch.client, { tenantId: api.tenants.a.id, meter: tokens, ...month(2026, 2), limit: 10 });
    // Whichever request was first, its first row won: the 3rd of February, 1 or 100 tokens.
    expect(event).toMatchObject({ id: 'race-1', time: '2026-02-03T00:00:00.000Z', deliveries: 4 });
    expect(['1', '100']).toContain(String((event!.data as { tokens: unknown }).tokens));
  });

  it('two replicas (two writers, each with its own PostgreSQL lock) racing on the same ids store each event once', async () => {
    const replicas = [
      createUsageEventWriter(ch.client, { lock: createPgFlushLock(db.pool) }),
      createUsageEventWriter(ch.client, { lock: createPgFlushLock(db.pool) }),
    ];
    const t = api.tenants.b.id;
    const batch = (n: number) =>
      Array.from({ length: 200 }, (_, i) => pendingRow(row(t, `rep-${i}`, { data: `{"tokens":${n},"model":"gpt"}` })));
    for (let round = 0; round < 3; round++) await Promise.all(replicas.map((w, n) => w(batch(n + 1))));
    expect(await count(ch.client, "SELECT count() AS n FROM usage_events WHERE startsWith(event_id, 'rep-')", {})).toBe(200);
    expect(await count(ch.client, "SELECT count() AS n FROM usage_redeliveries WHERE startsWith(event_id, 'rep-')", {})).toBe(1000);
  });

  it('ids and sources with quotes, backslashes, newlines and non-BMP text are looked up exactly, never as SQL', async () => {
    const t = api.tenants.b.id;
    const hostile = ["q'); DROP TABLE usage_events; --", 'back\\slash\\', 'line\nbreak', '$$dollar$$', '😀 emoji', 'tab\t"quote"'];
    const write = createUsageEventWriter(ch.client);
    const batch = () => hostile.flatMap((id, n) => [pendingRow(row(t, `h-${id}`, { source: `src-${hostile[(n + 1) % hostile.length]}` }))]);
    expect(await write(batch())).toEqual({ stored: hostile.length, redelivered: 0 });
    expect(await write(batch())).toEqual({ stored: 0, redelivered: hostile.length });
    for (const id of hostile) expect(await stored(`h-${id}`)).toBe(1);
  });

  it('the same id from two sources is two events (CloudEvents identity)', async () => {
    const res = await api.request
      .post('/api/usage/ingest')
      .set(key(api.apiKeys.a))
      .send([
        { id: 'src-1', source: 'billing-svc', type: 'llm', time: '2026-03-02T00:00:00Z', data: { tokens: 2, model: 'gpt' } },
        { id: 'src-1', source: 'search-svc', type: 'llm', time: '2026-03-02T00:00:00Z', data: { tokens: 3, model: 'gpt' } },
      ]);
    expect(res.status).toBe(202);
    expect(await stored('src-1')).toBe(2);
    expect(await usage(api.tenants.a.id, month(2026, 3))).toMatchObject({ value: '5', events: 2, duplicates: 0 });
  });
});

/** The client, with inserts into `table` failing as if the process died before them. */
describe('a flush that fails part-way', () => {
  it('between index and events: nothing is acknowledged, the retry (even with another time) is stored once, later redeliveries are ignored', async () => {
    const t = api.tenants.b.id;
    await expect(
      createUsageEventWriter(failingInsertsInto(ch.client, 'usage_events'))([
        pendingRow(row(t, 'crash-1', { eventTime: '2026-04-01 00:00:00.000' })),
      ]),
    ).rejects.toThrow('killed');
    expect(await stored('crash-1')).toBe(0);
    const writer = createUsageEventWriter(ch.client);
    expect(await writer([pendingRow(row(t, 'crash-1', { eventTime: '2026-04-02 00:00:00.000' }))])).toEqual({ stored: 1, redelivered: 0 });
    expect(await writer([pendingRow(row(t, 'crash-1', { eventTime: '2026-04-03 00:00:00.000' }))])).toEqual({ stored: 0, redelivered: 1 });
    expect(await stored('crash-1')).toBe(1);
    expect(await usage(t, month(2026, 4))).toMatchObject({ value: '5', events: 1, duplicates: 1 });
  });

  it('after events, before the redeliveries: the retry counts nothing twice', async () => {
    const t = api.tenants.b.id;
    const writer = createUsageEventWriter(ch.client);
    await writer([pendingRow(row(t, 'crash-2', { eventTime: '2026-06-01 00:00:00.000' }))]);
    const flaky = createUsageEventWriter(failingInsertsInto(ch.client, 'usage_redeliveries'));
    await expect(
      flaky([pendingRow(row(t, 'crash-2')), pendingRow(row(t, 'crash-3', { eventTime: '2026-06-02 00:00:00.000' }))]),
    ).rejects.toThrow('killed');
    // crash-3 was stored by the failed flush; its retry is a redelivery of it.
    expect(await writer([pendingRow(row(t, 'crash-2')), pendingRow(row(t, 'crash-3', { eventTime: '2026-06-02 00:00:00.000' }))])).toEqual({
      stored: 0,
      redelivered: 2,
    });
    expect(await usage(t, month(2026, 6))).toMatchObject({ value: '10', events: 2 });
  });
});
