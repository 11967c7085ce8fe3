import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { createTestClickHouse } from '../harness/clickhouse.ts';
import { timeSkippingEnvironment } from '../harness/temporal.ts';
import { createBillingWorker } from '../../cli/temporal/create-worker.ts';
import { meteringUsageSource } from '../../activities/invoices/metering-usage-source.ts';
import { createBudgetActivities } from '../../activities/alerts/check-budgets.ts';
import type { ActivityDeps } from '../../activities/deps.ts';
import { mergeCheckResults } from '../../domain/anomaly/index.ts';
import { planSchema, type PlanInput } from '../../domain/pricing/index.ts';
import { withOperator, withTenant } from '../../db/postgres/tenant-scope.ts';
import { plansRepository } from '../../db/postgres/plans-repository.ts';
import { subscriptionsRepository } from '../../db/postgres/subscriptions-repository.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { alertsRepository } from '../../db/postgres/alerts-repository.ts';
import { clickhouseTime } from '../../db/clickhouse/time.ts';
import { ANOMALY_SCAN_WORKFLOW, type AnomalyScanResult } from '../../workflows/contract.ts';
import { DAY, insertEvents, runActivity, type EventRow } from './alert-fixtures.ts';

// The budget check fans out in pages of tenants, each page its own activity. A tenant whose
// usage read throws (a meter nobody defined, a quantity too large) fails alone, in the middle of
// a page of tenants that share its meter and its query; two checks at once raise each level once.

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let deps: ActivityDeps;

/** Small pages, so that a few tenants make several (the worker's default is 200). */
const PER_PAGE = 6;
const TENANTS = 2 * PER_PAGE + 3; // three pages
const idOf = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
// In the middle of the second page (pages take tenants in id order when their periods start together).
const GHOST = idOf(PER_PAGE + 2);
const HUGE = idOf(PER_PAGE + 3);
const periodStart = new Date(Date.now() - 10 * DAY);
const periodEnd = new Date(Date.now() + 20 * DAY);
/** The largest value storage held before ingest was bounded (26 integer digits): 10,001 of them do not fit a quantity. */
const OLD_LARGEST = '99999999999999999999999999';
let batch = 0;

/** `n` more calls for each tenant, in the period so far. */
function calls(tenantIds: readonly string[], n: number): EventRow[] {
  batch += 1;
  return tenantIds.flatMap((tenantId) =>
    Array.from({ length: n }, (_, k) => ({
      tenant_id: tenantId,
      event_id: `calls-${batch}-${k}`,
      event_type: 'api_call',
      subject: tenantId,
      source: 'test',
      event_time: clickhouseTime(periodStart.getTime() + DAY + k),
      data: '{}',
    })),
  );
}

let scans = 0;
const scan = async (): Promise<{ result: AnomalyScanResult; activities: string[] }> => {
  const handle = await env.client.workflow.start(ANOMALY_SCAN_WORKFLOW, {
    taskQueue: 'fan-out',
    workflowId: `fan-out-${(scans += 1)}`,
    args: [{ at: new Date().toISOString() }],
  });
  const result = (await handle.result()) as AnomalyScanResult;
  const events = (await handle.fetchHistory()).events ?? [];
  return {
    result,
    activities: events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter((n): n is string => !!n),
  };
};
const budgetAlerts = () => withOperator(db.pool, (tx) => alertsRepository.list(tx, { kind: 'budget_threshold', limit: 10_000, offset: 0 }));

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  await metersRepository.insert(db.pool, {
    code: 'calls',
    name: 'Calls',
    eventType: 'api_call',
    aggregation: 'count',
    filters: {},
    groupBy: [],
  });
  await metersRepository.insert(db.pool, {
    code: 'bytes',
    name: 'Bytes',
    eventType: 'transfer',
    aggregation: 'sum',
    valueProperty: 'bytes',
    filters: {},
    groupBy: [],
  });
  const plan = (code: string, charges: PlanInput['charges']) =>
    withOperator(db.pool, (tx) =>
      plansRepository.insert(tx, planSchema.parse({ code, name: code, currency: 'USD', interval: 'month', baseFee: '0', charges })),
    );
  const perCall = { meter: 'calls', model: 'per_unit', unitPrice: '1' } as const;
  const plans = {
    calls: await plan('per-call', [perCall]),
    // Given one tenant whose plan also charges a meter nobody defined ...
    ghost: await plan('per-call-and-ghost', [perCall, { meter: 'ghost', model: 'per_unit', unitPrice: '1' }]),
    // ... and one whose bytes add up to more than a quantity can hold
    bytes: await plan('per-call-and-byte', [perCall, { meter: 'bytes', model: 'per_unit', unitPrice: '1' }]),
  };
  const ids = Array.from({ length: TENANTS }, (_, i) => idOf(i));
  const owner = await db.owner();
  try {
    await owner.query(
      "INSERT INTO tenants (id, name, currency, budget) SELECT id, 'tenant ' || id, 'USD', '100' FROM unnest($1::uuid[]) AS id",
      [ids],
    );
  } finally {
    await owner.end();
  }
  for (const tenantId of ids) {
    const p = tenantId === GHOST ? plans.ghost : tenantId === HUGE ? plans.bytes : plans.calls;
    await withTenant(db.pool, tenantId, (tx) =>
      subscriptionsRepository.insert(tx, {
        id: randomUUID(),
        tenantId,
        planId: p.id,
        planVersion: p.version,
        status: 'active',
        startAt: periodStart,
        billingAnchor: periodStart,
        trialEnd: null,
        currentPeriodStart: periodStart,
        currentPeriodEnd: periodEnd,
        nextInvoiceAt: periodEnd,
        workflowId: `subscription-test-${tenantId}`,
      }),
    );
  }
  // Every tenant at 60 % of its budget of 100 USD (60 calls at 1 USD).
  await insertEvents(ch.client, calls(ids, 60));
  await insertEvents(
    ch.client,
    Array.from({ length: 10_001 }, (_, k) => ({
      tenant_id: HUGE,
      event_id: `bytes-${k}`,
      event_type: 'transfer',
      subject: HUGE,
      source: 'test',
      event_time: clickhouseTime(periodStart.getTime() + DAY + k),
      data: JSON.stringify({ bytes: OLD_LARGEST }),
    })),
  );

  env = await timeSkippingEnvironment();
  worker = await createBillingWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: 'fan-out',
    workflowBundlePath: inject('workflowBundlePath'),
    deps: (deps = {
      pg: db.pool,
      clickhouse: ch.client,
      budgetTenantsPerPage: PER_PAGE,
      usage: meteringUsageSource({ clickhouse: ch.client, findMeter: (_tenantId, code) => metersRepository.findByCode(db.pool, code) }),
    }),
  });
  running = worker.run();
}, 180_000);
afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await env?.teardown();
  await Promise.all([db?.drop(), ch?.dispose()]);
});

describe('budget checks in pages', () => {
  it('check every page as its own activity; the two tenants whose reads throw fail alone, every other tenant gets its alert', async () => {
    const { result, activities } = await scan();
    expect(activities.filter((a) => a === 'checkBudgetPage')).toHaveLength(3);
    expect(activities).toContain('budgetPages');
    expect(activities).not.toContain('checkBudgets');
    const { budgets } = result;
    expect(budgets.tenants).toBe(TENANTS);
    expect(budgets.failed).toBe(2);
    expect(budgets.failures).toEqual(
      expect.arrayContaining([
        { tenantId: GHOST, meter: 'ghost', error: expect.stringContaining('meter ghost is not defined') },
        { tenantId: HUGE, meter: 'bytes', error: expect.stringMatching(/usage of meter bytes/) },
      ]),
    );
    // Then each of the others, the neighbours of the two in the same page included, raised 50 % once
    const raised = budgets.raised.map((r) => r.tenantId);
    expect(raised).toHaveLength(TENANTS - 2);
    expect(new Set(raised).size).toBe(TENANTS - 2);
    expect(raised).not.toContain(GHOST);
    expect(raised).not.toContain(HUGE);
    expect(budgets.raised.every((r) => r.level === 50 && r.observed === '60.00')).toBe(true);
    const stored = await budgetAlerts();
    expect(stored).toHaveLength(TENANTS - 2);
  });

  it("two checks at once raise each tenant's new level once between them", async () => {
    // When every tenant reaches 85 % and two scans run at the same time
    await insertEvents(
      ch.client,
      calls(
        Array.from({ length: TENANTS }, (_, i) => idOf(i)),
        25,
      ),
    );
    // (the activities of the fan-out, each page of each check in its own activity at once: the
    // time-skipping server is not run with two scans in flight)
    const { budgetPages, checkBudgetPage } = createBudgetActivities(deps);
    const at = new Date().toISOString();
    const check = async () => {
      const { pages } = await runActivity(budgetPages, { at });
      return mergeCheckResults(await Promise.all(pages.map((tenantIds) => runActivity(checkBudgetPage, { at, tenantIds }))));
    };
    const [first, second] = await Promise.all([check(), check()]);
    // Then between them each tenant's 80 % alert is raised exactly once, and stored once
    const raised = [...first.raised, ...second.raised];
    expect(raised.map((r) => r.tenantId).sort()).toEqual(
      Array.from({ length: TENANTS }, (_, i) => idOf(i))
        .filter((id) => id !== GHOST && id !== HUGE)
        .sort(),
    );
    expect(raised.every((r) => r.level === 80)).toBe(true);
    const stored = await budgetAlerts();
    expect(stored.filter((a) => a.level === 80)).toHaveLength(TENANTS - 2);
    expect(stored).toHaveLength(2 * (TENANTS - 2));
    // and both still report the two failing tenants
    expect([first.failed, second.failed]).toEqual([2, 2]);
  });
});
