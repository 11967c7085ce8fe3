import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { createTestClickHouse } from '../harness/clickhouse.ts';
import { createTestApi, TEST_PASSWORD, type TestApi } from '../harness/api.ts';
import { devServerEnvironment } from '../harness/temporal.ts';
import { createBillingWorker } from '../../cli/temporal/create-worker.ts';
import { seedDemo } from '../../cli/seed/seed-demo.ts';
import { seedDemoAs } from '../../cli/seed/seed-as.ts';
import { DEMO_TENANTS, demoEvents } from '../../cli/seed/demo-data.ts';

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let temporal: TestWorkflowEnvironment;
let api: TestApi;
let server: Server;
let baseUrl: string;
let worker: Worker;
let running: Promise<void>;
const now = new Date();

beforeAll(async () => {
  [db, ch, temporal] = await Promise.all([createTestDatabase(), createTestClickHouse(), devServerEnvironment()]);
  api = await createTestApi({ db, clickhouse: ch.client, temporal: temporal.client });
  server = createServer(api.app.koa.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  worker = await createBillingWorker({
    connection: temporal.nativeConnection,
    namespace: 'default',
    workflowBundlePath: inject('workflowBundlePath'),
    deps: { pg: db.pool, clickhouse: ch.client, temporal: temporal.client },
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await temporal?.teardown();
  await Promise.all([db?.drop(), ch?.dispose()]);
});

const get = async (path: string) => {
  const res = await api.request.get(path).set('Authorization', `Bearer ${api.tokens.admin}`);
  expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
  return res.body;
};

async function snapshot() {
  const tenants = (await get('/api/tenants?limit=200')).items as { id: string; externalId: string }[];
  const acme = tenants.find((t) => t.externalId === 'acme')!;
  const from = new Date(now.getTime() - 31 * 86_400_000).toISOString();
  const summary = await get(`/api/usage/summary?tenantId=${acme.id}&from=${from}&to=${now.toISOString()}`);
  const subscriptions = await Promise.all(
    DEMO_TENANTS.map(
      async (d) => (await get(`/api/subscriptions?tenantId=${tenants.find((t) => t.externalId === d.externalId)!.id}`)).items.length,
    ),
  );
  return {
    meters: ((await get('/api/meters')).items as { code: string }[]).map((m) => m.code).sort(),
    plans: ((await get('/api/pricing/plans')).items as { code: string }[]).map((p) => p.code).sort(),
    demoTenants: DEMO_TENANTS.map((d) => tenants.some((t) => t.externalId === d.externalId)),
    usage: Object.fromEntries((summary.items as { meter: string; value: string }[]).map((i) => [i.meter, i.value])),
    subscriptions,
  };
}

describe('the demo seed', () => {
  it('loads meters, plans, tenants, usage and subscriptions through the API, and a second run adds nothing', async () => {
    // As `start` does it: signing in with what ensureFirstAdmin returned (which carries more than credentials).
    const firstAdmin = { email: api.users.admin.email, password: TEST_PASSWORD, generated: false };
    const logged: string[] = [];
    await seedDemoAs(baseUrl, firstAdmin, (line) => logged.push(line));
    expect(logged.at(-1)).toBe('demo data seeded');
    const first = await snapshot();
    expect(first.meters).toEqual(expect.arrayContaining(['api_calls', 'storage_gb', 'tokens']));
    expect(first.plans).toEqual(expect.arrayContaining(['growth', 'starter']));
    expect(first.demoTenants).toEqual([true, true, true]);
    expect(first.subscriptions).toEqual([1, 1, 1]);
    // Every generated event arrived and counts once.
    const sent = demoEvents('acme', now, 30, 400);
    expect(first.usage.api_calls).toBe(String(sent.filter((e) => e.type === 'api.request').length));
    const tokens = sent
      .filter((e) => e.type === 'llm.completion')
      .reduce((sum, e) => sum + BigInt((e.data as { tokens: string }).tokens), 0n);
    expect(first.usage.tokens).toBe(String(tokens));

    await seedDemo({ baseUrl, adminToken: api.tokens.admin, now });
    expect(await snapshot()).toEqual(first);
  });
});
