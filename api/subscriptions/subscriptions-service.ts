import { randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import { WorkflowUpdateFailedError, WorkflowUpdateStage, type Client as TemporalClient } from '@temporalio/client';
import { withOperator, withScope, type Scope } from '../../db/postgres/tenant-scope.ts';
import { plansRepository, type PlanRecord } from '../../db/postgres/plans-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { subscriptionsRepository, type SubscriptionRow } from '../../db/postgres/subscriptions-repository.ts';
import { backdatingProblem, firstCyclePeriod } from '../../domain/billing/index.ts';
import { isUtc, startOfLocalDay, trialEnd } from '../../domain/periods/index.ts';
import {
  cancelUpdate,
  changePlanUpdate,
  invoiceNowUpdate,
  subscriptionStatusQuery,
  subscriptionWorkflowId,
} from '../../workflows/contract.ts';
import type {
  CancelRequest,
  InvoiceNowResult,
  PlanTerms,
  SubscriptionStatus,
  SubscriptionWorkflowInput,
} from '../../workflows/contract.ts';
import { HttpProblem, badRequest, conflict, notFound } from '../http/problem.ts';
import { workflowStartsRepository } from '../../db/postgres/workflow-starts-repository.ts';
import { startSubscriptionWorkflow } from './workflow-start.ts';
import { sendUpdate } from './workflow-update.ts';

export type SubscriptionsServiceDeps = {
  pg: DatabasePool;
  temporal: TemporalClient;
  /** Set TenantId and SubscriptionStatus when starting workflows (default true; servers without them registered say false). */
  searchAttributes?: boolean;
  /** Days after issue of each payment attempt (default 0, 3, 5, 7). */
  dunningScheduleDays?: number[];
  /** Closes one workflow run invoices before it continues as new (default 12; tests set it lower). */
  maxClosesPerRun?: number;
  /** After a cancellation, the first interval between the workflow's looks for late usage (default 60 s). */
  lateUsageCheckSeconds?: number;
};

/** What the API answers for a subscription (live from the workflow, else the read model). */
export type SubscriptionView = {
  id: string;
  tenantId: string;
  planId: string;
  planVersion: number;
  planCode: string | null;
  status: SubscriptionStatus['state'];
  startAt: string;
  trialEnd: string | null;
  currentPeriod: { start: string; end: string } | null;
  parts?: SubscriptionStatus['parts'];
  nextInvoiceAt: string | null;
  lastInvoice: SubscriptionStatus['lastInvoice'] | { invoiceId: string } | null;
  pendingChange: unknown;
  canceledAt: string | null;
  timezone: string;
  workflowId: string;
  /** 'workflow' when answered by the live query; 'read_model' from PostgreSQL. */
  source: 'workflow' | 'read_model';
};

export const planTermsOf = (r: PlanRecord): PlanTerms => ({
  planId: r.id,
  version: r.version,
  code: r.plan.code,
  name: r.plan.name,
  currency: r.plan.currency,
  interval: r.plan.interval,
  intervalCount: r.plan.intervalCount,
  trialDays: r.plan.trialDays,
  gracePeriodSeconds: r.plan.gracePeriodSeconds,
  lateUsageDays: r.plan.lateUsageDays,
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** An instant, or a calendar date ('YYYY-MM-DD'): the first instant of that day in `zone`. */
const instantIn = (at: Date | string, zone: string): Date => (typeof at === 'string' ? startOfLocalDay(at, zone) : at);

export function viewOfRow(row: SubscriptionRow): SubscriptionView {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    planId: row.plan_id,
    planVersion: row.plan_version,
    planCode: null,
    status: row.status,
    startAt: row.start_at.toISOString(),
    trialEnd: iso(row.trial_end),
    currentPeriod:
      row.current_period_start && row.current_period_end
        ? { start: row.current_period_start.toISOString(), end: row.current_period_end.toISOString() }
        : null,
    nextInvoiceAt: iso(row.next_invoice_at),
    lastInvoice: row.last_invoice_id ? { invoiceId: row.last_invoice_id } : null,
    pendingChange: row.pending_change ?? null,
    canceledAt: iso(row.canceled_at),
    timezone: row.timezone,
    workflowId: row.workflow_id,
    source: 'read_model',
  };
}

function viewOfStatus(row: SubscriptionRow, s: SubscriptionStatus): SubscriptionView {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    planId: s.plan.planId,
    planVersion: s.plan.version,
    planCode: s.plan.code,
    status: s.state,
    startAt: s.startAt,
    trialEnd: s.trialEnd,
    currentPeriod: s.currentPeriod,
    parts: s.parts,
    nextInvoiceAt: s.nextInvoiceAt,
    lastInvoice: s.lastInvoice,
    pendingChange: s.pendingChange,
    canceledAt: s.canceledAt,
    timezone: row.timezone,
    workflowId: row.workflow_id,
    source: 'workflow',
  };
}

/** A validator's rejection (or a failed handler) becomes 409: the request conflicts with the subscription's state. */
function updateProblem(err: unknown): unknown {
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause as { message?: string } | undefined;
    return new HttpProblem(409, cause?.message ?? err.message);
  }
  // The workflow has completed (a canceled subscription): nothing can change any more.
  if ((err as Error).name === 'WorkflowNotFoundError' || /already completed/i.test((err as Error).message ?? '')) {
    return new HttpProblem(409, 'the subscription has ended');
  }
  return err;
}

/**
 * Refuses (409) a plan whose charges bill a meter that another live subscription of the tenant
 * bills already: both would invoice the same events. Called under subscriptionsRepository.lockTenant.
 */
export async function refuseSharedMeters(
  tx: Parameters<typeof subscriptionsRepository.liveMeters>[0],
  tenantId: string,
  plan: PlanRecord,
  exceptId?: string,
) {
  const wanted = new Set(plan.plan.charges.map((c) => c.meter));
  const shared = (await subscriptionsRepository.liveMeters(tx, tenantId, exceptId)).filter((r) => wanted.has(r.meter));
  if (shared.length === 0) return;
  const meters = [...new Set(shared.map((r) => r.meter))];
  const subscriptions = [...new Set(shared.map((r) => r.subscription_id))];
  throw conflict(
    'planId',
    `the plan bills meter${meters.length > 1 ? 's' : ''} ${meters.join(', ')}, which the tenant's live subscription${subscriptions.length > 1 ? 's' : ''} ` +
      `${subscriptions.join(', ')} already bill${subscriptions.length > 1 ? '' : 's'}: the same events would be invoiced twice (send allowSharedMeters: true if that is intended, as for an add-on)`,
  );
}

export function createSubscriptionsService(deps: SubscriptionsServiceDeps) {
  const { pg, temporal } = deps;
  const handleOf = (row: SubscriptionRow) => temporal.workflow.getHandle(row.workflow_id);

  async function load(scope: Scope, id: string): Promise<SubscriptionRow> {
    const row = await withScope(pg, scope, (tx) => subscriptionsRepository.findById(tx, id));
    if (!row) throw notFound('subscription');
    return row;
  }

  async function liveView(row: SubscriptionRow): Promise<SubscriptionView> {
    try {
      return viewOfStatus(row, await handleOf(row).query(subscriptionStatusQuery));
    } catch {
      // No worker to answer, or the workflow is gone: the read model is the next best answer.
      return viewOfRow(row);
    }
  }

  return {
    /**
     * Creates a subscription and starts subscription-<id>. The plan's latest version is frozen
     * (in use), the tenant's currency must be the plan's (400), and a tenant has at most one live
     * subscription per plan (409). startAt may lie up to 400 days in the past (else 400): the workflow catches up.
     * The periods follow the tenant's time zone, which the subscription keeps for good; startAt and
     * billingAnchor are instants, or dates ('YYYY-MM-DD') meaning local midnight in that zone.
     */
    async create(
      input: { tenantId: string; planId: string; startAt?: Date | string; billingAnchor?: Date | string; allowSharedMeters?: boolean },
      now = new Date(),
    ): Promise<SubscriptionView> {
      const id = randomUUID();
      const workflowId = subscriptionWorkflowId(id);
      let terms: PlanTerms | undefined;
      let pending: Parameters<typeof startSubscriptionWorkflow>[1] | undefined;
      const row = await withOperator(pg, async (tx) => {
        const tenant = await tenantsRepository.findById(tx, input.tenantId);
        if (!tenant) throw notFound('tenant');
        const timeZone = tenant.timezone;
        const startAt = input.startAt === undefined ? now : instantIn(input.startAt, timeZone);
        // Every period already ended is invoiced at once: the bound keeps that catch-up finite.
        const tooFarBack = backdatingProblem(startAt, now);
        if (tooFarBack) throw badRequest('startAt', tooFarBack);
        const billingAnchor = input.billingAnchor === undefined ? startAt : instantIn(input.billingAnchor, timeZone);
        await subscriptionsRepository.lockTenant(tx, input.tenantId);
        // Frozen here, before the workflow starts, so that the terms it gets are the version's for good.
        const plan = await plansRepository.freezeForUse(tx, input.planId, undefined, now);
        if (!plan) throw notFound('plan');
        if (tenant.currency.trim() !== plan.plan.currency) {
          throw badRequest('planId', `the plan is priced in ${plan.plan.currency} but the tenant pays in ${tenant.currency.trim()}`);
        }
        if (await subscriptionsRepository.findLive(tx, input.tenantId, input.planId)) {
          throw conflict('planId', 'the tenant already has a live subscription to this plan');
        }
        if (!input.allowSharedMeters) await refuseSharedMeters(tx, input.tenantId, plan);
        terms = planTermsOf(plan);
        const zoned = isUtc(timeZone) ? {} : { timeZone };
        const first = firstCyclePeriod({ startAt, billingAnchor, terms, ...zoned });
        const inserted = await subscriptionsRepository.create(tx, {
          id,
          tenantId: input.tenantId,
          planId: plan.id,
          planVersion: plan.version,
          status: first.kind === 'trial' ? 'trialing' : 'active',
          startAt,
          billingAnchor,
          trialEnd: terms.trialDays > 0 ? trialEnd(startAt, terms.trialDays, timeZone) : null,
          currentPeriodStart: first.start,
          currentPeriodEnd: first.end,
          nextInvoiceAt: null,
          workflowId,
          timeZone,
        });
        if (inserted === 'taken') throw conflict('planId', 'the tenant already has a live subscription to this plan');
        // The workflow is started after commit (a failed commit must leave no workflow); what
        // to start is recorded with the row, for the reconciler should the start not happen.
        const workflowInput: SubscriptionWorkflowInput = {
          subscriptionId: id,
          tenantId: input.tenantId,
          plan: terms,
          startAt: startAt.toISOString(),
          billingAnchor: billingAnchor.toISOString(),
          // Only a zone other than UTC: a UTC subscription's input stays what it was before zones.
          ...zoned,
          ...(deps.dunningScheduleDays ? { dunningScheduleDays: deps.dunningScheduleDays } : {}),
          ...(deps.maxClosesPerRun ? { maxClosesPerRun: deps.maxClosesPerRun } : {}),
          ...(deps.lateUsageCheckSeconds ? { lateUsageCheckSeconds: deps.lateUsageCheckSeconds } : {}),
        };
        pending = {
          subscription_id: id,
          workflow_id: workflowId,
          input: workflowInput,
          search_attributes:
            deps.searchAttributes === false ? null : { tenantId: input.tenantId, status: first.kind === 'trial' ? 'trialing' : 'active' },
        };
        await workflowStartsRepository.record(tx, {
          subscriptionId: id,
          tenantId: input.tenantId,
          workflowId,
          input: workflowInput,
          searchAttributes: pending.search_attributes,
        });
        return inserted;
      });
      // Committed: the subscription exists whatever Temporal answers now. A start that fails
      // here is retried by the reconciler (startPendingSubscriptionWorkflows).
      await startSubscriptionWorkflow(deps, pending!).catch(() => {});
      return { ...viewOfRow(row), planCode: terms!.code };
    },

    async get(scope: Scope, id: string): Promise<SubscriptionView> {
      return liveView(await load(scope, id));
    },

    async list(scope: Scope, filter: { tenantId?: string; status?: SubscriptionRow['status']; limit: number; offset: number }) {
      const [rows, total] = await withScope(pg, scope, (tx) =>
        Promise.all([subscriptionsRepository.list(tx, filter), subscriptionsRepository.count(tx, filter)]),
      );
      return { items: rows.map(viewOfRow), total };
    },

    /** A Temporal Update: its validator refuses what the subscription's state does not allow (409). */
    async changePlan(
      scope: Scope,
      id: string,
      req: { planId: string; effective: 'immediate' | 'period_end'; allowSharedMeters?: boolean },
    ): Promise<SubscriptionView> {
      const row = await load(scope, id);
      // The version is frozen and committed before the Update: the workflow only ever receives
      // terms that can no longer change, a period-end change included. If the Update is then
      // refused, the version stays frozen (an edit of it makes a new version; nothing is lost).
      const plan = await withOperator(pg, async (tx) => {
        await subscriptionsRepository.lockTenant(tx, row.tenant_id);
        const record = await plansRepository.freezeForUse(tx, req.planId, undefined);
        if (!record) throw notFound('plan');
        if (req.planId !== row.plan_id && (await subscriptionsRepository.findLive(tx, row.tenant_id, req.planId, row.id))) {
          throw conflict('planId', 'the tenant already has a live subscription to this plan');
        }
        if (!req.allowSharedMeters) await refuseSharedMeters(tx, row.tenant_id, record, row.id);
        return record;
      });
      const updateId = randomUUID();
      const status = await sendUpdate(() =>
        handleOf(row).executeUpdate(changePlanUpdate, { args: [{ plan: planTermsOf(plan), effective: req.effective }], updateId }),
      ).catch((err: unknown) => {
        throw updateProblem(err);
      });
      return viewOfStatus(row, status);
    },

    async cancel(scope: Scope, id: string, req: CancelRequest): Promise<SubscriptionView> {
      const row = await load(scope, id);
      const updateId = randomUUID();
      const status = await sendUpdate(() => handleOf(row).executeUpdate(cancelUpdate, { args: [req], updateId })).catch((err: unknown) => {
        throw updateProblem(err);
      });
      return viewOfStatus(row, status);
    },

    /**
     * Closes the current period now and invoices it. Resolves with the finalized invoice's id when
     * it is ready within `waitMs`; otherwise with `pending: true` (the invoice id is known upfront).
     * A request repeated with the same `invoiceId` (an Idempotency-Key) is the same update: the
     * update id makes Temporal answer it with the first one's outcome, and the workflow closes a
     * period once per invoice id.
     */
    async invoiceNow(
      scope: Scope,
      id: string,
      waitMs: number,
      invoiceId: string = randomUUID(),
    ): Promise<{ invoiceId: string; pending: boolean; result?: InvoiceNowResult }> {
      const row = await load(scope, id);
      const update = await sendUpdate(() =>
        handleOf(row).startUpdate(invoiceNowUpdate, {
          args: [{ invoiceId }],
          updateId: `invoice-now-${invoiceId}`,
          waitForStage: WorkflowUpdateStage.ACCEPTED,
        }),
      ).catch((err: unknown) => {
        throw updateProblem(err);
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), waitMs);
      });
      try {
        // The validator's refusal (in trial, just started, ended) surfaces here, from the outcome.
        const outcome = update.result().catch((err: unknown) => {
          throw updateProblem(err);
        });
        const result = await Promise.race([outcome, timeout]);
        if (result === null) return { invoiceId, pending: true };
        return { invoiceId, pending: false, result };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export type SubscriptionsService = ReturnType<typeof createSubscriptionsService>;
