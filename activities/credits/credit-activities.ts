import type { ActivityDeps } from '../deps.ts';
import { withTenant } from '../../db/postgres/tenant-scope.ts';
import { plansRepository } from '../../db/postgres/plans-repository.ts';
import { grantIncludedCredits } from '../../db/postgres/credit-ledger.ts';

/** A period a subscription has just entered, under the plan version it starts with; instants as ISO strings. */
export type PeriodStartInput = {
  tenantId: string;
  subscriptionId: string;
  planId: string;
  planVersion: number;
  periodStart: string;
  periodEnd: string;
};

export function createCreditActivities({ pg }: ActivityDeps) {
  return {
    /**
     * Grants the plan's included credits for a period at its start (nothing when the plan
     * includes none). Idempotent per (subscription, period start): a retry, or a replayed
     * workflow asking again, returns the first grant's id.
     */
    async grantIncludedCredits(input: PeriodStartInput): Promise<{ grantId: string | null }> {
      return withTenant(pg, input.tenantId, async (tx) => {
        const record = await plansRepository.findById(tx, input.planId, input.planVersion);
        const credits = record?.plan.includedCredits;
        if (!record || !credits) return { grantId: null };
        const { grant } = await grantIncludedCredits(tx, {
          tenantId: input.tenantId,
          currency: record.plan.currency,
          subscriptionId: input.subscriptionId,
          planCode: record.plan.code,
          credits,
          graceSeconds: record.plan.gracePeriodSeconds,
          period: { start: new Date(input.periodStart), end: new Date(input.periodEnd) },
          // The workflow's clock, not the worker's: expiries are written as of the period's start.
          at: new Date(input.periodStart),
        });
        return { grantId: grant.id };
      });
    },
  };
}
