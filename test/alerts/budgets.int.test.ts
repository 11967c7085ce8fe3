import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { createTestClickHouse } from '../harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../harness/api.ts';
import {
  CALLS_METER,
  currentPeriod,
  insertMonthlyPlan,
  startScanWorker,
  subscribeInPeriod,
  usageSourceOf,
} from '../harness/alert-setup.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { alertsRepository } from '../../db/postgres/alerts-repository.ts';
import { ANOMALY_SCAN_WORKFLOW, type AnomalyScanResult } from '../../workflows/contract.ts';

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;
let scanner: Awaited<ReturnType<typeof startScanWorker>>;

const period = currentPeriod();
const { start: periodStart, end: periodEnd } = period;
let ingested = 0;

/** Tenant A's service posts `n` calls through the real ingest route; each costs 1.00 USD. */
async function postCalls(n: number) {
  const events = Array.from({ length: n }, () => ({ id: `call-${(ingested += 1)}`, type: 'api_call' }));
  await api.request.post('/api/usage/ingest').set('X-API-Key', api.apiKeys.a).send({ events }).expect(202);
}

let scans = 0;
const scan = async () =>
  (
    (await scanner.env.client.workflow.execute(ANOMALY_SCAN_WORKFLOW, {
      taskQueue: 'budgets',
      workflowId: `budget-scan-${(scans += 1)}`,
      args: [{ at: new Date().toISOString() }],
    })) as AnomalyScanResult
  ).budgets;

const budgetAlerts = () => withOperator(db.pool, (tx) => alertsRepository.list(tx, { kind: 'budget_threshold', limit: 100, offset: 0 }));

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client });
  // Given a plan that charges 1.00 USD per call, tenant A subscribed to it with a budget of 100 USD,
  // and tenant B with a budget but only a trial (trials are not charged).
  await metersRepository.insert(db.pool, CALLS_METER);
  const plan = await insertMonthlyPlan(db, 'per-call', [{ meter: 'calls', model: 'per_unit', unitPrice: '1' }], 'Per call');
  await withOperator(db.pool, async (tx) => {
    await tenantsRepository.update(tx, api.tenants.a.id, { budget: '100' });
    await tenantsRepository.update(tx, api.tenants.b.id, { budget: '1' });
  });
  await subscribeInPeriod(db, api.tenants.a.id, plan, period, 'active');
  await subscribeInPeriod(db, api.tenants.b.id, plan, period, 'trialing');

  scanner = await startScanWorker({
    db,
    clickhouse: ch.client,
    taskQueue: 'budgets',
    deps: () => ({ usage: usageSourceOf(db, ch.client) }),
  });
});
afterAll(async () => {
  await scanner?.stop();
  await Promise.all([db?.drop(), ch?.dispose()]);
});

describe('budget thresholds (estimated charges of the current period against tenants.budget)', () => {
  it('raises nothing below 50 %', async () => {
    await postCalls(49);
    expect((await scan()).raised).toEqual([]);
  });

  it('crossing 80 % raises one alert (the highest level reached), and again in the same period none', async () => {
    // When usage jumps from 49 to 81 USD
    await postCalls(32);
    const first = await scan();
    // Then one alert at 80 % (50 % is implied and never raised afterwards)
    expect(first.raised).toEqual([
      expect.objectContaining({
        tenantId: api.tenants.a.id,
        meter: null,
        kind: 'budget_threshold',
        level: 80,
        observed: '81.00',
        expected: '100.00',
      }),
    ]);
    const [alert] = await budgetAlerts();
    expect(alert).toMatchObject({
      tenant_id: api.tenants.a.id,
      level: 80,
      severity: 'warning',
      currency: 'USD',
      window_start: periodStart,
      window_end: periodEnd,
      observed: '81.000000000000',
      expected: '100.000000000000',
      message: 'Estimated charges of 81.00 USD for the current period reached 80 % of the budget of 100.00 USD',
    });
    // When it grows inside the same level, and the scan runs again
    await postCalls(9);
    expect((await scan()).raised).toEqual([]);
    expect(await budgetAlerts()).toHaveLength(1);
  });

  it('crossing 100 % raises the next level, once', async () => {
    await postCalls(15);
    expect((await scan()).raised.map((r) => r.level)).toEqual([100]);
    expect((await scan()).raised).toEqual([]);
    expect((await budgetAlerts()).map((a) => [a.level, a.severity])).toEqual([
      [100, 'critical'],
      [80, 'warning'],
    ]);
  });
});
