import type { ActivityDeps } from '../deps.ts';
import { withTenant } from '../../db/postgres/tenant-scope.ts';
import { subscriptionsRepository, type SubscriptionState } from '../../db/postgres/subscriptions-repository.ts';

/** A status report from subscription-<id>; instants as ISO strings. */
export type SubscriptionStatusReport = {
  subscriptionId: string;
  tenantId: string;
  seq: number;
  planId: string;
  planVersion: number;
  state: SubscriptionState;
  currentPeriodStart: string | null;
  currentPeriodEnd: string | null;
  nextInvoiceAt: string | null;
  lastInvoiceId: string | null;
  pendingChange: unknown;
  canceledAt: string | null;
};

const date = (iso: string | null) => (iso === null ? null : new Date(iso));

export function createSubscriptionActivities({ pg }: ActivityDeps) {
  return {
    /** Copies the workflow's status into the read model; an older report never overwrites a newer one. */
    async recordSubscriptionStatus(r: SubscriptionStatusReport): Promise<{ applied: boolean }> {
      const applied = await withTenant(pg, r.tenantId, (tx) =>
        subscriptionsRepository.applyStatus(tx, r.subscriptionId, {
          seq: r.seq,
          planId: r.planId,
          planVersion: r.planVersion,
          status: r.state,
          currentPeriodStart: date(r.currentPeriodStart),
          currentPeriodEnd: date(r.currentPeriodEnd),
          nextInvoiceAt: date(r.nextInvoiceAt),
          lastInvoiceId: r.lastInvoiceId,
          pendingChange: r.pendingChange,
          canceledAt: date(r.canceledAt),
        }),
      );
      return { applied };
    },
  };
}
