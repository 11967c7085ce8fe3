import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { createTestClickHouse } from '../harness/clickhouse.ts';
import {
  BYTES_METER,
  CALLS_METER,
  currentPeriod,
  eventsEveryMs,
  insertMonthlyPlan,
  insertTenantsWithBudget,
  startScanWorker,
  subscribeInPeriod,
  usageSourceOf,
} from '../harness/alert-setup.ts';
import { createBudgetActivities } from '../../activities/alerts/check-budgets.ts';
import { webhookOutboxRepository } from '../../db/postgres/webhook-outbox.ts';
import type { ActivityDeps } from '../../activities/deps.ts';
import { mergeCheckResults } from '../../domain/anomaly/index.ts';
import type { PlanInput } from '../../domain/pricing/index.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { alertsRepository } from '../../db/postgres/alerts-repository.ts';
import { ANOMALY_SCAN_WORKFLOW, type AnomalyScanResult } from '../../workflows/contract.ts';
import { DAY, insertEvents, runActivity, type EventRow } from '../harness/alerts.ts';

// The budget check fans out in pages of tenants, each page its own activity. A tenant whose
// usage read throws (a meter nobody defined, a quantity too large) fails alone, in the middle of
// a page of tenants that share its meter and its query; two checks at once raise each level once.

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let scanner: Awaited<ReturnType<typeof startScanWorker>>;
let deps: ActivityDeps;

/** Small pages, so that a few tenants make several (the worker's default is 200). */
const PER_PAGE = 6;
const TENANTS = 2 * PER_PAGE + 3; // three pages
const idOf = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
// In the middle of the second page (pages take tenants in id order when their periods start together).
const GHOST = idOf(PER_PAGE + 2);
const HUGE = idOf(PER_PAGE + 3);
const period = currentPeriod();
const periodStart = period.start;
/** The largest value storage held before ingest was bounded (26 integer digits): 10,001 of them do not fit a quantity. */
const OLD_LARGEST = '99999999999999999999999999';
let batch = 0;

/** `n` more calls for each tenant, in the period so far. */
function calls(tenantIds: readonly string[], n: number): EventRow[] {
  batch += 1;
  return tenantIds.flatMap((tenantId) => eventsEveryMs(tenantId, 'api_call', periodStart.getTime() + DAY, n, (k) => `calls-${batch}-${k}`));
}

let scans = 0;
const scan = async (): Promise<{ result: AnomalyScanResult; activities: string[] }> => {
  const handle = await scanner.env.client.workflow.start(ANOMALY_SCAN_WORKFLOW, {
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
  await metersRepository.insert(db.pool, CALLS_METER);
  await metersRepository.insert(db.pool, BYTES_METER);
  const plan = (code: string, charges: PlanInput['charges']) => insertMonthlyPlan(db, code, charges);
  const perCall = { meter: 'calls', model: 'per_unit', unitPrice: '1' } as const;
  const plans = {
    calls: await plan('per-call', [perCall]),
    // Given one tenant whose plan also charges a meter nobody defined ...
    ghost: await plan('per-call-and-ghost', [perCall, { meter: 'ghost', model: 'per_unit', unitPrice: '1' }]),
    // ... and one whose bytes add up to more than a quantity can hold
    bytes: await plan('per-call-and-byte', [perCall, { meter: 'bytes', model: 'per_unit', unitPrice: '1' }]),
  };
  const ids = Array.from({ length: TENANTS }, (_, i) => idOf(i));
  await insertTenantsWithBudget(db, ids, '100');
  for (const tenantId of ids) {
    await subscribeInPeriod(db, tenantId, tenantId === GHOST ? plans.ghost : tenantId === HUGE ? plans.bytes : plans.calls, period);
  }
  // Every tenant at 60 % of its budget of 100 USD (60 calls at 1 USD).
  await insertEvents(ch.client, calls(ids, 60));
  await insertEvents(
    ch.client,
    eventsEveryMs(HUGE, 'transfer', periodStart.getTime() + DAY, 10_001, (k) => `bytes-${k}`, JSON.stringify({ bytes: OLD_LARGEST })),
  );

  scanner = await startScanWorker({
    db,
    clickhouse: ch.client,
    taskQueue: 'fan-out',
    deps: () => ({ budgetTenantsPerPage: PER_PAGE, usage: usageSourceOf(db, ch.client) }),
  });
  deps = scanner.deps;
}, 180_000);
afterAll(async () => {
  await scanner?.stop();
  await Promise.all([db?.drop(), ch?.dispose()]);
});

describe('budget checks in pages', () => {
  it('check every page as its own activity; the two tenants whose reads throw fail alone, every other tenant gets its alert', async () => {
    const { result, activities } = await scan();
    expect(activities.filter((a) => a === 'checkBudgetPage')).toHaveLength(3);
    expect(activities).toContain('budgetPageRanges');
    expect(activities).not.toContain('budgetPages');
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
    // and each page sent its own alerts' alert.created: the workflow scheduled no webhook
    // activity, its result counts the alerts, and no alert's event waits in the outbox
    expect(activities).not.toContain('emitWebhookEvent');
    expect(budgets.raisedCount).toBe(TENANTS - 2);
    const outbox = await withOperator(db.pool, async (tx) => ({
      recorded: await Promise.all(stored.map((a) => webhookOutboxRepository.find(tx, `alert.created:${a.id}`))),
      waiting: await webhookOutboxRepository.undispatched(tx, 10_000),
    }));
    expect(outbox.recorded.every((row) => row?.event_type === 'alert.created')).toBe(true);
    expect(outbox.waiting.filter((row) => row.event_type === 'alert.created')).toEqual([]);
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
    // time-skipping server is not run with two scans in flight), one cutting its pages as ranges
    // and one as lists of ids, as a run started before the ranges does
    const { budgetPages, budgetPageRanges, checkBudgetPage } = createBudgetActivities(deps);
    const at = new Date().toISOString();
    const byRanges = async () => {
      const { ranges } = await runActivity(budgetPageRanges, { at });
      expect(ranges.map((r) => r.tenants)).toEqual([PER_PAGE, PER_PAGE, 3]);
      return mergeCheckResults(await Promise.all(ranges.map(({ from, to }) => runActivity(checkBudgetPage, { at, range: { from, to } }))));
    };
    const byIds = async () => {
      const { pages } = await runActivity(budgetPages, { at });
      return mergeCheckResults(await Promise.all(pages.map((tenantIds) => runActivity(checkBudgetPage, { at, tenantIds }))));
    };
    const [first, second] = await Promise.all([byRanges(), byIds()]);
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
