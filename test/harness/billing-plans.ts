import { randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import type { MeterInput } from '../../domain/metering/index.ts';
import type { PlanInput } from '../../domain/pricing/index.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { subscriptionsRepository } from '../../db/postgres/subscriptions-repository.ts';
import type { BillingHarness } from './billing.ts';

// The plans and meters the billing scenarios share, so each test states only what it is about.

/** The meter most billing scenarios charge: every `call` event counts one. */
export const CALLS_METER: MeterInput = { code: 'calls', name: 'API calls', eventType: 'call', aggregation: 'count' };

type Charge = PlanInput['charges'][number];

/** The issue's charge: the first 1,000 calls come with a 100.00 tier fee, each further call costs 1.01. */
export const ISSUE_GRADUATED_CALLS: Charge = {
  meter: 'calls',
  model: 'graduated',
  tiers: [
    { upTo: '1000', unitPrice: '0', flatFee: '100' },
    { upTo: null, unitPrice: '1.01' },
  ],
};

/**
 * The rate-card issue's charge: the large and small models at their own unit prices, any other
 * model (and usage without one) at the graduated fallback.
 */
export const ISSUE_RATE_CARD_TOKENS = {
  meter: 'tokens',
  model: 'graduated',
  tiers: [
    { upTo: '1000000', unitPrice: '0.00001' },
    { upTo: null, unitPrice: '0.000008' },
  ],
  priceBy: 'model',
  rates: [
    { match: 'large', model: 'per_unit', unitPrice: '0.00003' },
    { match: 'small', model: 'per_unit', unitPrice: '0.000005' },
  ],
} satisfies Charge;

/** A monthly plan in USD; without a `baseFee`, none. */
export const monthlyPlan = (p: { code: string; name: string; charges: Charge[] } & Partial<PlanInput>): PlanInput => ({
  currency: 'USD',
  interval: 'month',
  baseFee: '0',
  ...p,
});

/**
 * An active subscription recorded directly in its current period `[start, end)`, as its workflow
 * would have: for tests that drive the invoice activities by hand, with no workflow running.
 */
export async function subscribeDirectly(
  h: Pick<BillingHarness, 'db'> | { db: { pool: DatabasePool } },
  tenantId: string,
  plan: { id: string; version: number },
  period: { start: string; end: string },
): Promise<string> {
  const id = randomUUID();
  await withOperator(h.db.pool, (tx) =>
    subscriptionsRepository.insert(tx, {
      id,
      tenantId,
      planId: plan.id,
      planVersion: plan.version,
      status: 'active',
      startAt: new Date(period.start),
      billingAnchor: new Date(period.start),
      trialEnd: null,
      currentPeriodStart: new Date(period.start),
      currentPeriodEnd: new Date(period.end),
      nextInvoiceAt: new Date(period.end),
      workflowId: `subscription-${id}`,
    }),
  );
  return id;
}

/** A new tenant subscribed to a new plan from `startAt`, through the subscriptions service (its workflow starts). */
export async function subscribedFrom(h: BillingHarness, tenantName: string, plan: PlanInput, startAt: Date) {
  const tenant = await h.createTenant({ name: tenantName });
  const created = await h.createPlan(plan);
  const sub = await h.subscriptions.create({ tenantId: tenant.id, planId: created.id, startAt });
  return { tenant, plan: created, sub };
}
