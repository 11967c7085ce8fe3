import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { createTestApi } from '../../test/harness/api.ts';
import { startIngestServer, stopIngestServer } from '../../test/harness/ingest-server-process.ts';
import { connectClickHouse } from '../../db/clickhouse/client.ts';

// An acknowledged event is durable (an event is acknowledged only once ClickHouse accepted it, see api/README.md): a real API process on the embedded engine
// is killed with SIGKILL while clients are posting; after a restart on the same data
// directory, every event that got a 202 is there. This file never opens ClickHouse itself
// until the end: the engine binds one data directory per process.

let db: TestDatabase;
let dir: string;
let apiKey: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'meterplane-kill-'));
  // Seeds tenants and API keys in the database the child process uses; this app is not served.
  const seeded = await createTestApi({ db, clickhouse: {} as ClickHouseClient });
  apiKey = seeded.apiKeys.a;
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

const startServer = () => startIngestServer({ chPath: join(dir, 'ch'), databaseUrl: db.appUrl, env: { INGEST_FLUSH_MS: '5' } });

describe('durability of acknowledged events', () => {
  it('keeps every 202-acknowledged event across kill -9 and a restart', async () => {
    const server = await startServer();
    const { url } = server;
    const acknowledged: string[] = [];
    let attempted = 0;
    let stop = false;
    const client = async (c: number) => {
      for (let n = 0; !stop && n < 10_000; n++) {
        const ids = Array.from({ length: 200 }, (_, i) => `k${c}-${n}-${i}`);
        attempted += ids.length;
        const body = JSON.stringify(ids.map((id) => ({ id, type: 'kill_test', data: { n: i(id) } })));
        try {
          const res = await fetch(`${url}/api/usage/ingest`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-API-Key': apiKey },
            body,
          });
          if (res.status === 202) acknowledged.push(...ids);
          else await res.arrayBuffer();
        } catch {
          return; // the server died mid-request: no 202, no promise made
        }
      }
    };
    const i = (id: string) => Number(id.split('-')[2]);
    const load = Promise.all([1, 2, 3, 4].map(client));
    // Kill once plenty was acknowledged, while requests are certainly in flight.
    const started = Date.now();
    while (acknowledged.length < 20_000 && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 20));
    await stopIngestServer(server, 'SIGKILL');
    stop = true;
    await load;
    expect(acknowledged.length).toBeGreaterThanOrEqual(20_000);
    expect(attempted).toBeGreaterThan(acknowledged.length); // some requests were cut off

    // Restart on the same data directory: it serves again and accepts new events.
    const again = await startServer();
    const res = await fetch(`${again.url}/api/usage/ingest`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': apiKey },
      body: JSON.stringify({ id: 'after-restart', type: 'kill_test' }),
    });
    expect(res.status).toBe(202);
    await stopIngestServer(again, 'SIGTERM');

    const ch = await connectClickHouse({ kind: 'embedded', path: join(dir, 'ch') });
    try {
      const rs = await ch.client.query({
        query: "SELECT DISTINCT event_id FROM usage_events WHERE event_type = 'kill_test'",
        format: 'JSONCompactEachRow',
      });
      const stored = new Set((await rs.json<[string]>()).map(([id]) => id));
      const missing = acknowledged.filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      expect(stored.has('after-restart')).toBe(true);
    } finally {
      await ch.close();
    }
  });
});
