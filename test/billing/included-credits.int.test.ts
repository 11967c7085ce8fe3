import { describe, expect, it } from 'vitest';
import { withWorkflowContract } from '../../cli/temporal/workflow-deps.ts';
import { createActivities } from '../../activities/index.ts';
import { cents, useBillingScenarios } from '../harness/billing.ts';
import { subscribedFrom } from '../harness/billing-plans.ts';

// A plan's included credits on the time-skipping server, across periods: granted at each period
// start (the first one when the subscription starts), once per period, paying that period's
// invoice; without rollover what a period leaves is written off, with rollover it carries.

const s = useBillingScenarios();

type GrantRow = { period_start: Date; amount_minor: string; remaining_minor: string; expires_at: Date | null; id: string };
const includedGrants = (subscriptionId: string) =>
  s.h.ownerQuery<GrantRow>(
    `SELECT id, period_start, amount_minor::text, remaining_minor::text, expires_at FROM credit_grants
     WHERE subscription_id = $1 AND source = 'included' ORDER BY period_start`,
    [subscriptionId],
  );
const entriesOf = (grantId: string) =>
  s.h.ownerQuery<{ kind: string; amount_minor: string }>(
    'SELECT kind, amount_minor::text FROM credit_ledger_entries WHERE grant_id = $1 ORDER BY seq',
    [grantId],
  );

async function threePeriods(name: string, rollover: boolean) {
  const { tenant, sub } = await subscribedFrom(
    s.h,
    name,
    {
      code: name,
      name,
      currency: 'USD',
      interval: 'month',
      baseFee: '10.00',
      gracePeriodSeconds: 60,
      charges: [],
      includedCredits: { amount: '25.00', rollover },
    },
    new Date('2027-03-01T00:00:00Z'),
  );
  // Into the third period: March and April are invoiced, May has begun.
  await s.sleepUntil('2027-05-15T00:00:00Z');
  const invoices = await s.h.invoicesOf(sub.id);
  return { tenant, sub, invoices, grants: await includedGrants(sub.id) };
}

const starts = ['2027-03-01', '2027-04-01', '2027-05-01'].map((d) => new Date(`${d}T00:00:00Z`));

describe('included credits of a plan', () => {
  it('without rollover: each period is granted 25.00, its invoice takes 10.00 of it, and the 15.00 left expires', async () => {
    const { sub, invoices, grants } = await threePeriods('included-no-rollover', false);
    expect(invoices.map((i) => [i.period_start, cents(i.total_minor), cents(i.credit_applied_minor), i.status])).toEqual([
      [starts[0], '10.00', '10.00', 'paid'],
      [starts[1], '10.00', '10.00', 'paid'],
    ]);
    // Expiring when the period is invoiced: its end plus the plan's 60 s of grace.
    expect(grants.map((g) => [g.period_start, g.amount_minor, g.remaining_minor, g.expires_at])).toEqual([
      [starts[0], '2500', '0', new Date(starts[1]!.getTime() + 60_000)],
      [starts[1], '2500', '0', new Date(starts[2]!.getTime() + 60_000)],
      [starts[2], '2500', '2500', new Date('2027-06-01T00:01:00Z')],
    ]);
    for (const g of grants.slice(0, 2)) {
      expect(await entriesOf(g.id)).toEqual([
        { kind: 'grant', amount_minor: '2500' },
        { kind: 'burn', amount_minor: '-1000' },
        { kind: 'expiry', amount_minor: '-1500' },
      ]);
    }

    // The grant step retried, twice at once and once more: still one grant for the period.
    const activities = createActivities(withWorkflowContract({ pg: s.h.db.pool, clickhouse: s.h.ch.client }));
    const again = () =>
      activities.grantIncludedCredits({
        tenantId: invoices[0]!.tenant_id,
        subscriptionId: sub.id,
        planId: invoices[0]!.lines[0]!.plan_id!,
        planVersion: 1,
        periodStart: starts[2]!.toISOString(),
        periodEnd: '2027-06-01T00:00:00.000Z',
      });
    const ids = [...(await Promise.all([again(), again()])), await again()].map((r) => r.grantId);
    expect(ids).toEqual([grants[2]!.id, grants[2]!.id, grants[2]!.id]);
    expect(await includedGrants(sub.id)).toHaveLength(3);
  });

  it('with rollover: what a period leaves carries, the oldest grant burning first', async () => {
    const { invoices, grants } = await threePeriods('included-rollover', true);
    expect(invoices.map((i) => [cents(i.credit_applied_minor), i.status])).toEqual([
      ['10.00', 'paid'],
      ['10.00', 'paid'],
    ]);
    // March's grant pays both invoices (it is the oldest of equal grants): 25 − 10 − 10.
    expect(grants.map((g) => [g.period_start, g.remaining_minor, g.expires_at])).toEqual([
      [starts[0], '500', null],
      [starts[1], '2500', null],
      [starts[2], '2500', null],
    ]);
    expect(
      await s.h.ownerQuery("SELECT count(*)::int AS n FROM credit_ledger_entries WHERE kind = 'expiry' AND grant_id = ANY($1)", [
        grants.map((g) => g.id),
      ]),
    ).toEqual([{ n: 0 }]);
  });
});
