import { sql } from 'slonik';
import { z } from 'zod';
import { unlessTaken } from './write-refusals.ts';
import type { Tx } from './tenant-scope.ts';
import { allOf, ts, tsOrNull } from './sql.ts';

// The subscriptions read model (tenant-owned, RLS). The workflow subscription-<id> is the source
// of truth; activities copy its status here so lists need no Temporal query per subscription.

export const SUBSCRIPTION_STATES = ['trialing', 'active', 'past_due', 'canceled'] as const;
export type SubscriptionState = (typeof SUBSCRIPTION_STATES)[number];

export const subscriptionRow = z.object({
  id: z.string(),
  tenant_id: z.string(),
  plan_id: z.string(),
  plan_version: z.number(),
  status: z.enum(SUBSCRIPTION_STATES),
  start_at: z.date(),
  billing_anchor: z.date(),
  trial_end: z.date().nullable(),
  current_period_start: z.date().nullable(),
  current_period_end: z.date().nullable(),
  next_invoice_at: z.date().nullable(),
  last_invoice_id: z.string().nullable(),
  pending_change: z.unknown().nullable(),
  canceled_at: z.date().nullable(),
  workflow_id: z.string(),
  timezone: z.string(),
  status_seq: z.bigint(),
  created_at: z.date(),
  updated_at: z.date(),
});
export type SubscriptionRow = z.infer<typeof subscriptionRow>;

const columns = sql.fragment`
  id, tenant_id, plan_id, plan_version, status, start_at, billing_anchor, trial_end, current_period_start,
  current_period_end, next_invoice_at, last_invoice_id, pending_change, canceled_at, workflow_id, timezone, status_seq, created_at, updated_at`;

export type NewSubscription = {
  id: string;
  tenantId: string;
  planId: string;
  planVersion: number;
  status: SubscriptionState;
  startAt: Date;
  billingAnchor: Date;
  trialEnd: Date | null;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  nextInvoiceAt: Date | null;
  workflowId: string;
  /** The IANA zone its periods follow (default UTC). */
  timeZone?: string;
};

/** What the workflow reports; `seq` orders reports so an older one never overwrites a newer one. */
export type SubscriptionStatusReport = {
  seq: number;
  planId: string;
  planVersion: number;
  status: SubscriptionState;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  nextInvoiceAt: Date | null;
  lastInvoiceId: string | null;
  pendingChange: unknown;
  canceledAt: Date | null;
};

export type SubscriptionFilter = { tenantId?: string; status?: SubscriptionState };

function where(f: SubscriptionFilter) {
  return allOf([f.tenantId ? sql.fragment`tenant_id = ${f.tenantId}` : null, f.status ? sql.fragment`status = ${f.status}` : null]);
}

export const subscriptionsRepository = {
  /** A second live subscription of the same tenant and plan raises UniqueIntegrityConstraintViolationError (create answers 'taken'). */
  insert: (tx: Tx, s: NewSubscription) =>
    tx.one(sql.type(subscriptionRow)`
      INSERT INTO subscriptions (id, tenant_id, plan_id, plan_version, status, start_at, billing_anchor, trial_end,
                                 current_period_start, current_period_end, next_invoice_at, workflow_id, timezone)
      VALUES (${s.id}, ${s.tenantId}, ${s.planId}, ${s.planVersion}, ${s.status}, ${ts(s.startAt)}, ${ts(s.billingAnchor)},
              ${tsOrNull(s.trialEnd)}, ${ts(s.currentPeriodStart)}, ${ts(s.currentPeriodEnd)}, ${tsOrNull(s.nextInvoiceAt)}, ${s.workflowId},
              ${s.timeZone ?? 'UTC'})
      RETURNING ${columns}`),

  /** insert, with a second live subscription of the tenant to the plan as its answer ('taken') rather than an error. */
  create: (tx: Tx, s: NewSubscription) => unlessTaken(subscriptionsRepository.insert(tx, s)),

  findById: (tx: Tx, id: string) => tx.maybeOne(sql.type(subscriptionRow)`SELECT ${columns} FROM subscriptions WHERE id = ${id}`),

  /** The tenant's live (not canceled) subscription of a plan, other than `exceptId`. */
  /**
   * Serializes, until the transaction ends, whatever creates or changes a tenant's live
   * subscriptions, so that two requests cannot both pass the checks that compare them.
   */
  lockTenant: async (tx: Tx, tenantId: string): Promise<void> => {
    await tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtextextended(${`subscriptions:${tenantId}`}, 0))`);
  },

  /**
   * The meters a tenant's live subscriptions bill: those of the version each is on and of the
   * version a period-end change will move it to. One row per (subscription, meter).
   */
  liveMeters: (tx: Tx, tenantId: string, exceptId?: string) =>
    tx.any(sql.type(z.object({ subscription_id: z.string(), meter: z.string() }))`
      SELECT DISTINCT s.id AS subscription_id, c ->> 'meter' AS meter
      FROM subscriptions s
      JOIN plan_versions v ON (v.plan_id = s.plan_id AND v.version = s.plan_version)
        OR (s.pending_change ->> 'type' = 'change_plan' AND v.plan_id::text = s.pending_change ->> 'planId'
            AND v.version::text = s.pending_change ->> 'version')
      CROSS JOIN LATERAL jsonb_array_elements(v.charges) c
      WHERE s.tenant_id = ${tenantId} AND s.status <> 'canceled'
        AND ${exceptId ? sql.fragment`s.id <> ${exceptId}` : sql.fragment`true`}
      ORDER BY meter, subscription_id`),

  findLive: (tx: Tx, tenantId: string, planId: string, exceptId?: string) =>
    tx.maybeOne(sql.type(subscriptionRow)`
      SELECT ${columns} FROM subscriptions
      WHERE tenant_id = ${tenantId} AND plan_id = ${planId} AND status <> 'canceled'
        AND ${exceptId ? sql.fragment`id <> ${exceptId}` : sql.fragment`true`}
      LIMIT 1`),

  list: (tx: Tx, f: SubscriptionFilter & { limit: number; offset: number }) =>
    tx.any(sql.type(subscriptionRow)`
      SELECT ${columns} FROM subscriptions WHERE ${where(f)} ORDER BY created_at DESC, id LIMIT ${f.limit} OFFSET ${f.offset}`),

  count: (tx: Tx, f: SubscriptionFilter) =>
    tx.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM subscriptions WHERE ${where(f)}`),

  /** Applies a status report unless a newer one was applied already. True when applied. */
  applyStatus: async (tx: Tx, id: string, r: SubscriptionStatusReport): Promise<boolean> => {
    const result = await tx.query(sql.unsafe`
      UPDATE subscriptions SET status_seq = ${r.seq}, plan_id = ${r.planId}, plan_version = ${r.planVersion}, status = ${r.status},
        current_period_start = ${tsOrNull(r.currentPeriodStart)}, current_period_end = ${tsOrNull(r.currentPeriodEnd)},
        next_invoice_at = ${tsOrNull(r.nextInvoiceAt)}, last_invoice_id = ${r.lastInvoiceId},
        pending_change = ${r.pendingChange === null || r.pendingChange === undefined ? null : sql.jsonb(r.pendingChange as never)},
        canceled_at = ${tsOrNull(r.canceledAt)}, updated_at = now()
      WHERE id = ${id} AND status_seq < ${r.seq}`);
    return result.rowCount === 1;
  },
};
