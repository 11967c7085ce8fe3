import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { createTestClickHouse } from '../../test/harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../../test/harness/api.ts';
import { expectResponseMatchesSpec } from '../../test/harness/openapi-responses.ts';
import { createUsageEventWriter } from '../../db/clickhouse/usage-writer.ts';
import { createMeteringRuntime, type MeteringRuntime } from './metering-runtime.ts';
import type { BatcherOptions, BatchWriter } from './batcher.ts';
import type { PendingRow } from '../../db/clickhouse/usage-writer.ts';

// Overload and fair share against a real server, a real PostgreSQL and the embedded
// ClickHouse; only the insert is slowed (or held) so the queue fills on purpose.

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
});
afterAll(async () => {
  await Promise.all([db?.drop(), ch?.dispose()]);
});

type Served = { api: TestApi; metering: MeteringRuntime; url: string; port: number; close: () => Promise<void> };

async function serve(options: Partial<BatcherOptions>, writer: BatchWriter<PendingRow>): Promise<Served> {
  const metering = createMeteringRuntime({ pg: db.pool, clickhouse: ch.client, options, writer });
  const api = await createTestApi({ db, clickhouse: ch.client, deps: { metering } });
  const server: Server = createServer(api.app.koa.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    api,
    metering,
    port,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const events = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, type: 'overload_test' }));
const post = (s: Served, apiKey: string, body: unknown) =>
  fetch(`${s.url}/api/usage/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify(body),
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function storedCounts(prefix: string): Promise<Map<string, number>> {
  const rs = await ch.client.query({
    query: 'SELECT event_id, count() AS n FROM usage_events WHERE startsWith(event_id, {p:String}) GROUP BY event_id',
    query_params: { p: prefix },
    format: 'JSONEachRow',
  });
  return new Map((await rs.json<{ event_id: string; n: string }>()).map((r) => [r.event_id, Number(r.n)]));
}

describe('ingest overload', () => {
  it('refuses a 5 MB body to a full queue with 503 before reading it, and stays healthy', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const real = createUsageEventWriter(ch.client);
    const s = await serve({ maxQueueRows: 2, flushRows: 1, flushConcurrency: 1 }, async (lines) => {
      await held;
      await real(lines);
    });
    try {
      // Given the queue is full with tenant B's rows (held in the insert).
      const filling = post(s, s.api.apiKeys.b, events('full-b', 2));
      const deadline = Date.now() + 5_000;
      while (s.metering.batcher.queuedRows() < 2 && Date.now() < deadline) await sleep(10);
      expect(s.metering.batcher.queuedRows()).toBe(2);

      // When tenant A starts a 5 MB request but sends only its first 64 KiB…
      const total = 5_000_000;
      let sent = 0;
      const started = performance.now();
      const req = httpRequest({
        host: '127.0.0.1',
        port: s.port,
        method: 'POST',
        path: '/api/usage/ingest',
        headers: { 'content-type': 'application/json', 'content-length': total, 'x-api-key': s.api.apiKeys.a },
      });
      req.on('error', () => {}); // the request is abandoned below
      const answered = new Promise<IncomingMessage>((resolve) => req.once('response', resolve));
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      req.write(chunk);
      sent += chunk.length;
      const res = await Promise.race([answered, sleep(5_000).then(() => null)]);
      const elapsedMs = performance.now() - started;

      // …then it is answered 503 with Retry-After at once, without the server waiting for the rest.
      expect(res, 'no answer before the body was sent').not.toBeNull();
      expect(res!.statusCode).toBe(503);
      expect(res!.headers['retry-after']).toBe('1');
      expect(res!.headers['content-type']).toMatch(/^application\/problem\+json/);
      let text = '';
      for await (const c of res!) text += String(c);
      expect(JSON.parse(text)).toMatchObject({ status: 503, detail: 'ingest queue is full; retry the request later' });
      expect(sent).toBeLessThan(total);
      expect(elapsedMs).toBeLessThan(3_000);
      req.destroy();

      // The server stays healthy: it answers, refuses the next request the same way, and
      // once the insert goes through it accepts again, B's held request included.
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
      expect((await post(s, s.api.apiKeys.a, events('full-a', 1))).status).toBe(503);
      release();
      expect((await filling).status).toBe(202);
      const after = await post(s, s.api.apiKeys.a, events('full-a2', 1));
      expect(after.status).toBe(202);
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toContain('meterplane_ingest_requests_refused_unread_total{reason="overloaded"} 2');
      expect(await storedCounts('full-')).toEqual(
        new Map([
          ['full-b-0', 1],
          ['full-b-1', 1],
          ['full-a2-0', 1],
        ]),
      );
    } finally {
      release();
      await s.close();
    }
  });

  it('a client that sends its whole 5 MB body after the early 503 can reuse the connection', async () => {
    const held = new Promise<void>(() => {}); // never commits: the queue stays full
    const s = await serve({ maxQueueRows: 1, flushRows: 1, flushConcurrency: 1 }, () => held);
    try {
      void post(s, s.api.apiKeys.b, events('keep-b', 1)).catch(() => {});
      const deadline = Date.now() + 5_000;
      while (s.metering.batcher.queuedRows() < 1 && Date.now() < deadline) await sleep(10);
      // fetch keeps one pooled connection per origin; two requests in a row reuse it when the
      // server kept it open, or open a new one when the server closed it: both must work.
      const body = JSON.stringify([{ id: 'keep-a', type: 'overload_test', data: { blob: 'x'.repeat(5_000_000) } }]);
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${s.url}/api/usage/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': s.api.apiKeys.a },
          body,
        });
        expect(res.status).toBe(503);
        await res.arrayBuffer();
      }
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it("gives each tenant a fair share: A's flood gets 429s, B's requests meanwhile all get 202, and every 202'd event is stored once", async () => {
    const real = createUsageEventWriter(ch.client);
    // Slowed inserts: each waits 100 ms before it reaches ClickHouse.
    const s = await serve({ maxQueueRows: 200, flushRows: 50, flushMs: 5, flushConcurrency: 1 }, async (lines) => {
      await sleep(100);
      await real(lines);
    });
    try {
      type Outcome = { tenant: 'A' | 'B'; ids: string[]; status: number; retryAfter: string | null };
      const outcomes: Outcome[] = [];
      let floodOver = false;
      const send = async (tenant: 'A' | 'B', prefix: string, n: number) => {
        const batch = events(prefix, n);
        const res = await post(s, tenant === 'A' ? s.api.apiKeys.a : s.api.apiKeys.b, batch);
        const body = await res.json();
        if (res.status !== 202)
          expectResponseMatchesSpec('POST', '/api/usage/ingest', { status: res.status, body, headers: Object.fromEntries(res.headers) });
        outcomes.push({ tenant, ids: batch.map((e) => e.id), status: res.status, retryAfter: res.headers.get('retry-after') });
        return res.status;
      };

      // Tenant A floods: 14 clients, 20 events per request (280 rows if all were admitted, more
      // than the whole queue), for at most 3 s and 120 requests each.
      const floodEnds = Date.now() + 3_000;
      const flood = Promise.all(
        Array.from({ length: 14 }, async (_, c) => {
          for (let n = 0; n < 120 && Date.now() < floodEnds; n++) {
            // A hostile client: it retries far sooner than Retry-After.
            if ((await send('A', `fs-a${c}-${n}`, 20)) === 429) await sleep(25);
          }
        }),
      ).finally(() => (floodOver = true));

      // Tenant B posts while the flood holds the queue more than half full: 2 clients, 5 events
      // per request, at most 40 each.
      const busy = Date.now() + 2_000;
      while (s.metering.batcher.queuedRows() <= 100 && Date.now() < busy) await sleep(5);
      expect(s.metering.batcher.queuedRows()).toBeGreaterThan(100);
      const fair = Promise.all(
        Array.from({ length: 2 }, async (_, c) => {
          for (let n = 0; n < 40 && !floodOver; n++) await send('B', `fs-b${c}-${n}`, 5);
        }),
      );
      await Promise.all([flood, fair]);

      const a = outcomes.filter((o) => o.tenant === 'A');
      const b = outcomes.filter((o) => o.tenant === 'B');
      const refusedA = a.filter((o) => o.status === 429);
      expect(refusedA.length).toBeGreaterThan(0);
      expect(a.some((o) => o.status === 202)).toBe(true);
      expect(new Set(a.map((o) => o.status))).toEqual(new Set([202, 429]));
      expect(refusedA.every((o) => o.retryAfter === '1')).toBe(true);
      expect(b.length).toBeGreaterThanOrEqual(3);
      expect(b.map((o) => o.status)).toEqual(b.map(() => 202));

      // Every 202'd event is stored exactly once; nothing of a refused request is stored.
      const stored = await storedCounts('fs-');
      const acknowledged = outcomes.filter((o) => o.status === 202).flatMap((o) => o.ids);
      expect(stored).toEqual(new Map(acknowledged.map((id) => [id, 1])));

      // The metrics count each refusal once: early (before the body) or at submit.
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      const counter = (name: string) => Number(new RegExp(`${name}\\{reason="fair_share"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
      expect(counter('meterplane_ingest_requests_refused_unread_total') + counter('meterplane_ingest_events_rejected_total') / 20).toBe(
        refusedA.length,
      );
      expect(s.metering.batcher.queuedRows()).toBe(0);
    } finally {
      await s.close();
    }
  });
});
