import type { DatabasePool } from 'slonik';
import type { Client as TemporalClient } from '@temporalio/client';
import { withOperator, withScope, type Scope } from '../../db/postgres/tenant-scope.ts';
import { plansRepository, type PlanRecord } from '../../db/postgres/plans-repository.ts';
import { subscriptionsRepository } from '../../db/postgres/subscriptions-repository.ts';
import { planChangeProblem, previewPlanChange, type PreviewPlan } from '../../domain/billing/index.ts';
import { subscriptionStatusQuery, type SubscriptionStatus } from '../../workflows/contract.ts';
import { HttpProblem, conflict, notFound } from '../http/problem.ts';
import { planTermsOf, refuseSharedMeters } from './subscriptions-service.ts';
import type { PlanChangePreviewBody } from './plan-change-preview-schemas.ts';

// The plan terms a subscription carries, plus the prices the preview rates its fixed amounts with.
const previewPlanOf = (r: PlanRecord): PreviewPlan => ({ ...planTermsOf(r), baseFee: r.plan.baseFee, charges: r.plan.charges });

const planRefOf = (p: PreviewPlan) => ({ planId: p.planId, version: p.version, code: p.code, name: p.name, baseFee: p.baseFee });

/**
 * What a change-plan would do, without doing it: the same refusals (the workflow validator's rule,
 * the live-subscription and shared-meter checks), then the current period split at the change and
 * each part's fixed amounts as billing will invoice them. Nothing is frozen or written.
 */
export function createPlanChangePreviewService(deps: { pg: DatabasePool; temporal: TemporalClient }) {
  return {
    async preview(
      scope: Scope,
      id: string,
      req: { planId: string; effective: 'immediate' | 'period_end'; allowSharedMeters?: boolean },
      now = new Date(),
    ): Promise<PlanChangePreviewBody> {
      const row = await withScope(deps.pg, scope, (tx) => subscriptionsRepository.findById(tx, id));
      if (!row) throw notFound('subscription');
      // The workflow knows the period's parts; without a worker to answer, the read model has the period under one plan.
      const live: SubscriptionStatus | null = await deps.temporal.workflow
        .getHandle(row.workflow_id)
        .query(subscriptionStatusQuery)
        .catch(() => null);
      const state = live?.state ?? row.status;
      const period = live
        ? live.currentPeriod
        : row.current_period_start && row.current_period_end
          ? { start: row.current_period_start.toISOString(), end: row.current_period_end.toISOString() }
          : null;
      // A first period may start after its schedule's period does (a start between anchors).
      const serviceFrom =
        row.current_period_start && row.start_at > row.current_period_start ? row.start_at : (row.current_period_start ?? row.start_at);
      const partRefs = live?.parts?.length
        ? live.parts
        : [{ from: serviceFrom.toISOString(), planId: row.plan_id, version: row.plan_version }];
      const pendingPlan = live
        ? (live.pendingChange as { type?: string } | null)?.type === 'change_plan'
        : (row.pending_change as { type?: string } | null)?.type === 'change_plan';

      const { target, parts } = await withOperator(deps.pg, async (tx) => {
        const record = await plansRepository.findById(tx, req.planId);
        if (!record) throw notFound('plan');
        if (req.planId !== row.plan_id && (await subscriptionsRepository.findLive(tx, row.tenant_id, req.planId, row.id))) {
          throw conflict('planId', 'the tenant already has a live subscription to this plan');
        }
        if (!req.allowSharedMeters) await refuseSharedMeters(tx, row.tenant_id, record, row.id);
        const partPlans = await Promise.all(partRefs.map((p) => plansRepository.findById(tx, p.planId, p.version)));
        return {
          target: previewPlanOf(record),
          parts: partRefs.map((p, i) => ({ from: new Date(p.from), plan: previewPlanOf(partPlans[i]!) })),
        };
      });

      const ended = !period || state === 'canceled';
      const periodKind = state === 'trialing' ? 'trial' : 'paid';
      const problem = planChangeProblem(
        ended ? { ended: true } : { ended: false, periodKind, current: parts[parts.length - 1]!.plan, hasPendingPlan: pendingPlan },
        target,
        req.effective,
      );
      if (problem) throw new HttpProblem(409, problem);
      const bounds = { start: new Date(period!.start), end: new Date(period!.end) };
      // The workflow rolls an ended period before it takes a change; until it has, there is no current period to split.
      if (now.getTime() >= bounds.end.getTime()) throw new HttpProblem(409, 'the current period has just ended: ask again in a moment');
      // A change cannot precede the part in force (the workflow refuses it too): a period that starts later.
      if (req.effective === 'immediate' && periodKind === 'paid' && now.getTime() < parts[parts.length - 1]!.from.getTime())
        throw new HttpProblem(409, 'the current part of the period has not started yet');

      const preview = previewPlanChange({ period: bounds, periodKind, parts, target, effective: req.effective, at: now });
      return {
        subscriptionId: row.id,
        tenantId: row.tenant_id,
        currency: target.currency,
        effective: req.effective,
        effectiveAt: preview.effectiveAt.toISOString(),
        period: period!,
        inTrial: periodKind === 'trial',
        parts: preview.parts.map((p) => ({
          plan: planRefOf(p.plan),
          window: { from: p.window.start.toISOString(), to: p.window.end.toISOString() },
          fixed: p.fixed.map((l) => ({
            type: l.type as 'base_fee' | 'proration' | 'usage',
            meter: l.meter ?? null,
            description: l.description,
            amount: l.amount,
          })),
          fixedTotal: p.fixedTotal,
        })),
        next: preview.next ? { from: preview.next.from.toISOString(), plan: planRefOf(preview.next.plan) } : null,
        usage: "usage charges are priced when the period closes, each part with its own plan's prices",
      };
    },
  };
}
