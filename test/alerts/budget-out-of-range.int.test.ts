import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createTestDatabase, type TestDatabase } from '../harness/postgres.ts';
import { createTestClickHouse } from '../harness/clickhouse.ts';
import {
  BYTES_METER,
  currentPeriod,
  eventsEveryMs,
  insertMonthlyPlan,
  insertTenantsWithBudget,
  subscribeInPeriod,
  usageSourceOf,
} from '../harness/alert-setup.ts';
import { createBudgetActivities, type CheckBudgetsResult } from '../../activities/alerts/check-budgets.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { alertsRepository } from '../../db/postgres/alerts-repository.ts';
import { DAY, insertEvents, type EventRow } from '../harness/alerts.ts';

// One tenant's numbers too large to store must not stop the budget check of every tenant.

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;

// Tenants are checked in id order: both out-of-range tenants come before the ordinary one.
const TOO_MUCH_USAGE = '00000000-0000-4000-8000-00000000000a';
const TOO_MUCH_MONEY = '00000000-0000-4000-8000-00000000000b';
const ORDINARY = '00000000-0000-4000-8000-00000000000c';
const period = currentPeriod();
const periodStart = period.start;
/** The largest value storage held before ingest was bounded (26 integer digits). */
const OLD_LARGEST = '99999999999999999999999999';

const rows = (tenantId: string, n: number, bytes: string): EventRow[] =>
  eventsEveryMs(tenantId, 'transfer', periodStart.getTime() + DAY, n, (i) => `${tenantId}-${i}`, JSON.stringify({ bytes }));

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  await metersRepository.insert(db.pool, BYTES_METER);
  const plan = await insertMonthlyPlan(db, 'per-byte', [{ meter: 'bytes', model: 'per_unit', unitPrice: '1000000' }], 'Per byte');
  const ids = [TOO_MUCH_USAGE, TOO_MUCH_MONEY, ORDINARY];
  await insertTenantsWithBudget(db, ids, '1000', (id) => `tenant ${id.slice(-1)}`);
  for (const tenantId of ids) await subscribeInPeriod(db, tenantId, plan, period);
  // 10,001 × (10^26 − 1): a sum of 31 integer digits, more than a quantity can be stored with.
  await insertEvents(ch.client, rows(TOO_MUCH_USAGE, 10_001, OLD_LARGEST));
  // 10^25 bytes fit as a quantity; at 1,000,000 USD each they cost 10^31 USD, more than an alert stores.
  await insertEvents(ch.client, rows(TOO_MUCH_MONEY, 1, '10000000000000000000000000'));
  // 0.0009 bytes × 1,000,000 = 900 USD: 90 % of the budget of 1000.
  await insertEvents(ch.client, rows(ORDINARY, 1, '0.0009'));
});
afterAll(async () => Promise.all([db?.drop(), ch?.dispose()]));

describe('budget checks with numbers out of range', () => {
  it('skip the tenants whose usage or estimate cannot be stored and check every other tenant', async () => {
    const usage = usageSourceOf(db, ch.client);
    const { checkBudgets } = createBudgetActivities({ pg: db.pool, clickhouse: ch.client, usage });
    const result: CheckBudgetsResult = await new MockActivityEnvironment().run(checkBudgets, { at: new Date().toISOString() });
    expect(result.tenants).toBe(3);
    expect(result.raised).toEqual([
      expect.objectContaining({ tenantId: ORDINARY, kind: 'budget_threshold', level: 80, observed: '900.00' }),
    ]);
    const stored = await withOperator(db.pool, (tx) => alertsRepository.list(tx, { limit: 100, offset: 0 }));
    expect(stored.map((r) => r.tenant_id)).toEqual([ORDINARY]);
  });
});
