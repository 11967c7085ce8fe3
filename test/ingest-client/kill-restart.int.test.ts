import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { createTestApi, type TestApi } from '../harness/api.ts';
import { freePort } from '../harness/free-port.ts';
import { startIngestServer, stopIngestServer, type IngestServerProcess } from '../harness/ingest-server-process.ts';
import { connectClickHouse } from '../../db/clickhouse/client.ts';
import { IngestClient } from '../../packages/ingest-client/src/index.ts';
import type { EventOutcome } from '../../packages/ingest-client/src/index.ts';

// The promise of @meterplane/ingest-client: an event it reports as sent is counted once, however
// the API fails under it. A real API process over the embedded ClickHouse is killed with SIGKILL
// in the middle of a stream (requests in flight, events queued), and restarted on the same data
// and port. The client rides through with its own retries; afterwards every event it tracked is
// counted exactly once by the API's deduplicated reads, and the sum of their values is exact.

const EVENTS = 16_000;
const TYPE = 'client_kill_test';
let db: TestDatabase;
let dir: string;
let seeded: TestApi;
let server: IngestServerProcess | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'meterplane-client-kill-'));
  // Seeds tenants, users and keys in the database the child uses; this app is not served.
  seeded = await createTestApi({ db, clickhouse: {} as ClickHouseClient });
});
afterAll(async () => {
  if (server) await stopIngestServer(server, 'SIGKILL');
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

const start = (port: number) => startIngestServer({ chPath: join(dir, 'ch'), databaseUrl: db.appUrl, port, env: { INGEST_FLUSH_MS: '5' } });
const json = (body: unknown) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

describe('@meterplane/ingest-client across an API crash', () => {
  it('counts every event it reported as sent exactly once after kill -9 and a restart mid-stream', async () => {
    const port = await freePort();
    server = await start(port);
    const url = server.url;
    const admin = { Authorization: `Bearer ${seeded.tokens.admin}` };
    for (const meter of [
      { code: 'kill_events', name: 'Events', eventType: TYPE, aggregation: 'count' },
      { code: 'kill_units', name: 'Units', eventType: TYPE, aggregation: 'sum', valueProperty: 'n' },
    ]) {
      const res = await fetch(`${url}/api/meters`, { ...json(meter), headers: { ...json(meter).headers, ...admin } });
      expect(res.status).toBe(201);
    }

    const outcomes: EventOutcome[] = [];
    const client = new IngestClient({
      url,
      apiKey: seeded.apiKeys.a,
      maxBatchEvents: 250,
      flushIntervalMs: 5,
      maxQueuedEvents: 4_000,
      concurrency: 3,
      // The restart takes seconds (the engine, migrations): the client must outlast it.
      maxAttempts: 1_000,
      maxRetryMs: 150_000,
      baseDelayMs: 20,
      maxDelayMs: 400,
      onOutcome: (o) => outcomes.push(o),
    });
    const windowFrom = new Date(Date.now() - 3_600_000).toISOString();
    const producing = (async () => {
      const tracked: Promise<EventOutcome>[] = [];
      for (let n = 1; n <= EVENTS; n++) {
        await client.waitForRoom();
        tracked.push(client.track({ type: TYPE, data: { n } }));
      }
      return Promise.all(tracked);
    })();

    // Given a stream under way, with plenty acknowledged,
    const started = Date.now();
    while (outcomes.length < 4_000 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 10));
    expect(outcomes.length).toBeGreaterThanOrEqual(4_000);
    // when the API dies without warning while requests are in flight
    const inFlightAtKill = client.pending;
    await stopIngestServer(server, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500)); // the client meets refused connections for a while
    // and comes back on the same data and port,
    server = await start(port);
    const all = await producing;
    await client.close();

    // then every event was reported sent, each under its own id,
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(all.filter((o) => !o.sent)).toEqual([]);
    const ids = new Set(all.map((o) => o.id));
    expect(ids.size).toBe(EVENTS);
    expect(all.some((o) => o.sent && o.attempts > 1)).toBe(true); // some batch did need a retry
    // Redelivering 1,000 of them (as a retry whose 202 was lost does) with another value changes
    // nothing: the first delivery wins.
    const again = new IngestClient({ url: server.url, apiKey: seeded.apiKeys.a });
    const resent = await Promise.all([...ids].slice(0, 1_000).map((id) => again.track({ id, type: TYPE, data: { n: 1_000_000 } })));
    await again.close();
    expect(resent.every((o) => o.sent)).toBe(true);
    // and the API counts each exactly once: n = 1..EVENTS, so the sum is EVENTS(EVENTS+1)/2.
    const q = new URLSearchParams({ from: windowFrom, to: new Date(Date.now() + 3_600_000).toISOString() });
    const summary = await fetch(`${server.url}/api/usage/summary?${q}`, { headers: { 'X-API-Key': seeded.apiKeys.a } });
    expect(summary.status).toBe(200);
    const items = ((await summary.json()) as { items: { meter: string; value: string; events: number }[] }).items;
    expect(items.find((i) => i.meter === 'kill_events')).toMatchObject({ value: String(EVENTS), events: EVENTS });
    expect(items.find((i) => i.meter === 'kill_units')).toMatchObject({ value: String((EVENTS * (EVENTS + 1)) / 2), events: EVENTS });
    await stopIngestServer(server, 'SIGTERM');
    server = undefined;

    // Underneath: every sent id is stored once (a redelivery is recorded as one, never stored as
    // the event again), and nothing else is.
    const ch = await connectClickHouse({ kind: 'embedded', path: join(dir, 'ch') });
    try {
      const rs = await ch.client.query({
        query: 'SELECT event_id, count() AS rows FROM usage_events WHERE event_type = {t:String} GROUP BY event_id',
        query_params: { t: TYPE },
        format: 'JSONEachRow',
      });
      const stored = await rs.json<{ event_id: string; rows: string }>();
      expect(stored.length).toBe(EVENTS);
      expect(stored.filter((r) => !ids.has(r.event_id))).toEqual([]);
      expect(stored.filter((r) => r.rows !== '1')).toEqual([]);
    } finally {
      await ch.close();
    }
  }, 240_000);
});
