import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { insertMonthlyPlan, insertTenantsWithBudget, subscribeInPeriod } from '../../test/harness/alert-setup.ts';
import { withOperator, withTenant } from './tenant-scope.ts';
import { subscriptionsRepository } from './subscriptions-repository.ts';
import { budgetCandidatesRepository, pageRanges } from './budget-candidates-repository.ts';

// The budget check's pages are key ranges over (earliest current period start, tenant id). Attacked
// here: ties on the start (the id decides), a tenant with two subscriptions (its earliest start
// counts), a start with microseconds (a page boundary must compare exactly as it was read), and
// tenants that are no candidates. For every page size, the pages must take each candidate once,
// in order.

const DAY = 86_400_000;
const at = new Date();
let db: TestDatabase;
/** Every candidate as the order must have it: earliest start in microseconds, then id. */
let expected: string[];

beforeAll(async () => {
  db = await createTestDatabase();
  const plan = await insertMonthlyPlan(db, 'pages', []);
  const ids = Array.from({ length: 17 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  // The microsecond tenant has the smallest id of its start (1, 5, 9 and 13 share one), so the
  // tenants after it in id order come before it in the page order: a key read to the millisecond
  // would put them in its page.
  const [micro, noBudget, trial, twoSubs] = [ids[1], ids[14], ids[15], ids[16]] as [string, string, string, string];
  await insertTenantsWithBudget(
    db,
    ids.filter((id) => id !== noBudget),
    '100',
  );
  await insertTenantsWithBudget(db, [noBudget], '0');
  const startMicros = new Map<string, bigint>();
  for (const [i, id] of ids.entries()) {
    // Four distinct starts, so most starts are shared by several tenants.
    const start = new Date(at.getTime() - (1 + (i % 4)) * DAY);
    await subscribeInPeriod(db, id, plan, { start, end: new Date(at.getTime() + 20 * DAY) }, id === trial ? 'trialing' : 'active');
    startMicros.set(id, BigInt(start.getTime()) * 1000n);
  }
  // The tenant with two subscriptions: the second starts earlier than every other tenant.
  const earliest = new Date(at.getTime() - 9 * DAY);
  const secondPlan = await insertMonthlyPlan(db, 'pages-second', []);
  await withTenant(db.pool, twoSubs, (tx) =>
    subscriptionsRepository.insert(tx, {
      id: randomUUID(),
      tenantId: twoSubs,
      planId: secondPlan.id,
      planVersion: secondPlan.version,
      status: 'active',
      startAt: earliest,
      billingAnchor: earliest,
      trialEnd: null,
      currentPeriodStart: earliest,
      currentPeriodEnd: new Date(at.getTime() + 21 * DAY),
      nextInvoiceAt: new Date(at.getTime() + 21 * DAY),
      workflowId: `subscription-test-second-${twoSubs}`,
    }),
  );
  startMicros.set(twoSubs, BigInt(earliest.getTime()) * 1000n);
  // A start 123 µs past a shared one (written as the owner: the repositories write milliseconds).
  const owner = await db.owner();
  try {
    await owner.query(
      "UPDATE subscriptions SET current_period_start = current_period_start + interval '123 microseconds' WHERE tenant_id = $1",
      [micro],
    );
  } finally {
    await owner.end();
  }
  startMicros.set(micro, startMicros.get(micro)! + 123n);
  expected = ids
    .filter((id) => id !== trial && id !== noBudget)
    .sort((a, b) => {
      const d = startMicros.get(a)! - startMicros.get(b)!;
      return d !== 0n ? (d < 0n ? -1 : 1) : a < b ? -1 : 1;
    });
}, 120_000);
afterAll(async () => {
  await db?.drop();
});

describe('budget check pages as key ranges', () => {
  it.each([1, 2, 3, 5, 8, 14, 15, 100])('pages of %i take every candidate once, in order, and count them', async (size) => {
    const pages = await withOperator(db.pool, async (tx) => {
      const starts = await budgetCandidatesRepository.pageStarts(tx, at, size);
      const tenants = await Promise.all(
        pageRanges(starts).map(async (range) => [
          ...new Set((await budgetCandidatesRepository.candidates(tx, at, range)).map((c) => c.tenant_id)),
        ]),
      );
      return starts.map((start, i) => ({ first: start.tenant_id, count: start.tenants, tenants: tenants[i]! }));
    });
    // Each page holds `size` tenants (the last what is left), starting where the order says.
    const slices = Array.from({ length: Math.ceil(expected.length / size) }, (_, i) => expected.slice(i * size, (i + 1) * size));
    expect(pages.map((p) => p.count)).toEqual(slices.map((s) => s.length));
    expect(pages.map((p) => p.first)).toEqual(slices.map((s) => s[0]));
    expect(pages.map((p) => [...p.tenants].sort())).toEqual(slices.map((s) => [...s].sort()));
  });

  it('a range takes every subscription of its tenants, as the check without a range reads them', async () => {
    const { all, paged } = await withOperator(db.pool, async (tx) => {
      const starts = await budgetCandidatesRepository.pageStarts(tx, at, 4);
      const parts = await Promise.all(pageRanges(starts).map((range) => budgetCandidatesRepository.candidates(tx, at, range)));
      return { all: await budgetCandidatesRepository.candidates(tx, at), paged: parts.flat() };
    });
    const key = (c: { subscription_id: string }) => c.subscription_id;
    expect(paged.map(key).sort()).toEqual(all.map(key).sort());
    expect(all).toHaveLength(expected.length + 1); // the tenant with two subscriptions
  });
});
