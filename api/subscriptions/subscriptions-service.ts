import { randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import { UniqueIntegrityConstraintViolationError } from 'slonik';
import { WorkflowUpdateFailedError, WorkflowUpdateStage, type Client as TemporalClient } from '@temporalio/client';
import { withOperator, withScope, type Scope } from '../../db/postgres/tenant-scope.ts';
import { plansRepository, type PlanRecord } from '../../db/postgres/plans-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { subscriptionsRepository, type SubscriptionRow } from '../../db/postgres/subscriptions-repository.ts';
import { backdatingProblem, firstCyclePeriod } from '../../domain/billing/index.ts';
import { trialEnd } from '../../domain/periods/index.ts';
import {
  SUBSCRIPTION_WORKFLOW,
  SubscriptionStatusSearchAttribute,
  TASK_QUEUE,
  TenantIdSearchAttribute,
  cancelUpdate,
  changePlanUpdate,
  invoiceNowUpdate,
  subscriptionStatusQuery,
  subscriptionWorkflowId,
} from '../../workflows/contract.ts';
import type { CancelRequest, InvoiceNowResult, PlanTerms, SubscriptionStatus, SubscriptionWorkflowInput } from '../../workflows/contract.ts';
import { HttpProblem, badRequest, conflict, notFound } from '../http/problem.ts';

export type SubscriptionsServiceDeps = {
  pg: DatabasePool;
  temporal: TemporalClient;
  /** Set TenantId and SubscriptionStatus when starting workflows (default true; servers without them registered say false). */
  searchAttributes?: boolean;
  /** Days after issue of each payment attempt (default 0, 3, 5, 7). */
  dunningScheduleDays?: number[];
  /** Closes one workflow run invoices before it continues as new (default 12; tests set it lower). */
  maxClosesPerRun?: number;
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
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

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
    currentPeriod: row.current_period_start && row.current_period_end ? { start: row.current_period_start.toISOString(), end: row.current_period_end.toISOString() } : null,
    nextInvoiceAt: iso(row.next_invoice_at),
    lastInvoice: row.last_invoice_id ? { invoiceId: row.last_invoice_id } : null,
    pendingChange: row.pending_change ?? null,
    canceledAt: iso(row.canceled_at),
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
     */
    async create(input: { tenantId: string; planId: string; startAt?: Date; billingAnchor?: Date }, now = new Date()): Promise<SubscriptionView> {
      const id = randomUUID();
      const startAt = input.startAt ?? now;
      // Every period already ended is invoiced at once: the bound keeps that catch-up finite.
      const tooFarBack = backdatingProblem(startAt, now);
      if (tooFarBack) throw badRequest('startAt', tooFarBack);
      const billingAnchor = input.billingAnchor ?? startAt;
      const workflowId = subscriptionWorkflowId(id);
      let terms: PlanTerms | undefined;
      const row = await withOperator(pg, async (tx) => {
        const tenant = await tenantsRepository.findById(tx, input.tenantId);
        if (!tenant) throw notFound('tenant');
        const plan = await plansRepository.findById(tx, input.planId);
        if (!plan) throw notFound('plan');
        if (tenant.currency.trim() !== plan.plan.currency) {
          throw badRequest('planId', `the plan is priced in ${plan.plan.currency} but the tenant pays in ${tenant.currency.trim()}`);
        }
        if (await subscriptionsRepository.findLive(tx, input.tenantId, input.planId)) {
          throw conflict('planId', 'the tenant already has a live subscription to this plan');
        }
        terms = planTermsOf(plan);
        const first = firstCyclePeriod({ startAt, billingAnchor, terms });
        await plansRepository.markInUse(tx, plan.id, plan.version, now);
        const inserted = await subscriptionsRepository
          .insert(tx, {
            id,
            tenantId: input.tenantId,
            planId: plan.id,
            planVersion: plan.version,
            status: first.kind === 'trial' ? 'trialing' : 'active',
            startAt,
            billingAnchor,
            trialEnd: terms.trialDays > 0 ? trialEnd(startAt, terms.trialDays) : null,
            currentPeriodStart: first.start,
            currentPeriodEnd: first.end,
            nextInvoiceAt: null,
            workflowId,
          })
          .catch((err: unknown) => {
            if (err instanceof UniqueIntegrityConstraintViolationError) throw conflict('planId', 'the tenant already has a live subscription to this plan');
            throw err;
          });
        // Started inside the transaction: if Temporal refuses, nothing is recorded.
        const workflowInput: SubscriptionWorkflowInput = {
          subscriptionId: id,
          tenantId: input.tenantId,
          plan: terms,
          startAt: startAt.toISOString(),
          billingAnchor: billingAnchor.toISOString(),
          ...(deps.dunningScheduleDays ? { dunningScheduleDays: deps.dunningScheduleDays } : {}),
          ...(deps.maxClosesPerRun ? { maxClosesPerRun: deps.maxClosesPerRun } : {}),
        };
        await temporal.workflow.start(SUBSCRIPTION_WORKFLOW, {
          taskQueue: TASK_QUEUE,
          workflowId,
          args: [workflowInput],
          ...(deps.searchAttributes === false
            ? {}
            : { typedSearchAttributes: [{ key: TenantIdSearchAttribute, value: input.tenantId }, { key: SubscriptionStatusSearchAttribute, value: first.kind === 'trial' ? 'trialing' : 'active' }] }),
        });
        return inserted;
      });
      return { ...viewOfRow(row), planCode: terms!.code };
    },

    async get(scope: Scope, id: string): Promise<SubscriptionView> {
      return liveView(await load(scope, id));
    },

    async list(scope: Scope, filter: { tenantId?: string; status?: SubscriptionRow['status']; limit: number; offset: number }) {
      const [rows, total] = await withScope(pg, scope, (tx) => Promise.all([subscriptionsRepository.list(tx, filter), subscriptionsRepository.count(tx, filter)]));
      return { items: rows.map(viewOfRow), total };
    },

    /** A Temporal Update: its validator refuses what the subscription's state does not allow (409). */
    async changePlan(scope: Scope, id: string, req: { planId: string; effective: 'immediate' | 'period_end' }): Promise<SubscriptionView> {
      const row = await load(scope, id);
      const plan = await withOperator(pg, async (tx) => {
        const record = await plansRepository.findById(tx, req.planId);
        if (!record) throw notFound('plan');
        if (req.planId !== row.plan_id && (await subscriptionsRepository.findLive(tx, row.tenant_id, req.planId, row.id))) {
          throw conflict('planId', 'the tenant already has a live subscription to this plan');
        }
        return record;
      });
      const status = await handleOf(row)
        .executeUpdate(changePlanUpdate, { args: [{ plan: planTermsOf(plan), effective: req.effective }] })
        .catch((err: unknown) => {
          throw updateProblem(err);
        });
      await withOperator(pg, (tx) => plansRepository.markInUse(tx, plan.id, plan.version));
      return viewOfStatus(row, status);
    },

    async cancel(scope: Scope, id: string, req: CancelRequest): Promise<SubscriptionView> {
      const row = await load(scope, id);
      const status = await handleOf(row)
        .executeUpdate(cancelUpdate, { args: [req] })
        .catch((err: unknown) => {
          throw updateProblem(err);
        });
      return viewOfStatus(row, status);
    },

    /**
     * Closes the current period now and invoices it. Resolves with the finalized invoice's id when
     * it is ready within `waitMs`; otherwise with `pending: true` (the invoice id is known upfront).
     */
    async invoiceNow(scope: Scope, id: string, waitMs: number): Promise<{ invoiceId: string; pending: boolean; result?: InvoiceNowResult }> {
      const row = await load(scope, id);
      const invoiceId = randomUUID();
      const update = await handleOf(row)
        .startUpdate(invoiceNowUpdate, { args: [{ invoiceId }], waitForStage: WorkflowUpdateStage.ACCEPTED })
        .catch((err: unknown) => {
          throw updateProblem(err);
        });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), waitMs);
      });
      try {
        const result = await Promise.race([update.result(), timeout]);
        if (result === null) return { invoiceId, pending: true };
        return { invoiceId, pending: false, result };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export type SubscriptionsService = ReturnType<typeof createSubscriptionsService>;
