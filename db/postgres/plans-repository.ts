import { sql } from 'slonik';
import { z } from 'zod';
import { unlessTaken } from './write-refusals.ts';
import { DEFAULT_PLAN_VISIBILITY, PLAN_VISIBILITIES, planSchema, type Plan, type PlanVisibility } from '../../domain/pricing/index.ts';
import { toDecimal, toDecimalString } from '../../domain/money/index.ts';
import type { Scope, Tx } from './tenant-scope.ts';

// Plans are operator-owned and carry no tenant, so they have no row-level policy: these
// queries run in any scope. Who may read which version is the `visibleTo` condition below,
// which every read on behalf of a user goes through.

const versionRow = z.object({
  id: z.string(),
  code: z.string(),
  visibility: z.enum(PLAN_VISIBILITIES),
  latest_version: z.number(),
  version: z.number(),
  name: z.string(),
  currency: z.string(),
  interval: z.string(),
  interval_count: z.number(),
  base_fee: z.string(),
  trial_days: z.number(),
  grace_period_seconds: z.number(),
  late_usage_days: z.number(),
  charges: z.unknown(),
  included_credits: z.unknown(),
  in_use_since: z.date().nullable(),
  created_at: z.date(),
  updated_at: z.date(),
});
type VersionRow = z.infer<typeof versionRow>;

/** One version of a plan, with the plan as domain/pricing defines it. */
export type PlanRecord = {
  id: string;
  version: number;
  latestVersion: number;
  visibility: PlanVisibility;
  /** True once a subscription has used this version: it will never change again. */
  inUse: boolean;
  plan: Plan;
  createdAt: Date;
  updatedAt: Date;
};

const columns = sql.fragment`
  p.id, p.code, p.visibility, p.latest_version, v.version, v.name, v.currency, v."interval", v.interval_count,
  v.base_fee::text AS base_fee, v.trial_days, v.grace_period_seconds, v.late_usage_days, v.charges, v.included_credits, v.in_use_since,
  p.created_at, v.updated_at`;

function toRecord(row: VersionRow): PlanRecord {
  // The stored plan passed planSchema when it was written; parsing again restores its exact type
  // (and would surface a hand-edited row instead of billing with it).
  const plan = planSchema.parse({
    code: row.code,
    name: row.name,
    currency: row.currency,
    interval: row.interval,
    intervalCount: row.interval_count,
    baseFee: toDecimalString(toDecimal(row.base_fee)),
    trialDays: row.trial_days,
    gracePeriodSeconds: row.grace_period_seconds,
    lateUsageDays: row.late_usage_days,
    charges: row.charges,
    ...(row.included_credits ? { includedCredits: row.included_credits } : {}),
  });
  return {
    id: row.id,
    version: row.version,
    latestVersion: row.latest_version,
    visibility: row.visibility,
    inUse: row.in_use_since !== null,
    plan,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const chargesJson = (plan: Plan) => JSON.stringify(plan.charges);
const includedJson = (plan: Plan) => (plan.includedCredits ? JSON.stringify(plan.includedCredits) : null);

const OPERATOR: Scope = { kind: 'operator' };

/**
 * The plan versions (p, v) a scope may read. Operators: all. A tenant: every version of a
 * public plan, and of a private plan only the versions it uses: one of its subscriptions (in
 * any status) is on it, or is scheduled to move to it at the period end. Nothing else, not even
 * a newer version of a plan it uses. In a tenant scope row-level security narrows subscriptions
 * to that tenant as well, so the tenant condition holds twice.
 */
function visibleTo(scope: Scope) {
  if (scope.kind === 'operator') return sql.fragment`TRUE`;
  const tenantId = scope.tenantId;
  return sql.fragment`(
    p.visibility = 'public'
    OR EXISTS (
      SELECT 1 FROM subscriptions s
      WHERE s.tenant_id = ${tenantId}
        AND ((s.plan_id = p.id AND s.plan_version = v.version)
          OR (s.pending_change ->> 'type' = 'change_plan'
              AND s.pending_change ->> 'planId' = p.id::text
              AND s.pending_change ->> 'version' = v.version::text))))`;
}

export type PlanChange = { record: PlanRecord; newVersion: boolean };

export const plansRepository = {
  /** Creates a plan at version 1. A duplicate code raises slonik's UniqueIntegrityConstraintViolationError (create answers 'taken'). */
  insert: async (tx: Tx, plan: Plan, visibility: PlanVisibility = DEFAULT_PLAN_VISIBILITY): Promise<PlanRecord> => {
    const id = await tx.oneFirst(sql.type(z.object({ id: z.string() }))`
      INSERT INTO plans (code, visibility) VALUES (${plan.code}, ${visibility}) RETURNING id`);
    await tx.query(sql.unsafe`
      INSERT INTO plan_versions (plan_id, version, name, currency, "interval", interval_count, base_fee, trial_days, grace_period_seconds, late_usage_days, charges, included_credits)
      VALUES (${id}, 1, ${plan.name}, ${plan.currency}, ${plan.interval}, ${plan.intervalCount}, ${plan.baseFee},
              ${plan.trialDays}, ${plan.gracePeriodSeconds}, ${plan.lateUsageDays}, ${chargesJson(plan)}::jsonb, ${includedJson(plan)}::jsonb)`);
    return (await plansRepository.findById(tx, id))!;
  },

  /** insert, with a taken code as its answer ('taken') rather than an error. */
  create: (tx: Tx, plan: Plan, visibility?: PlanVisibility) => unlessTaken(plansRepository.insert(tx, plan, visibility)),

  /** The latest version, or the given one, whoever may read it (billing, admin actions). */
  findById: (tx: Tx, id: string, version?: number): Promise<PlanRecord | null> => plansRepository.findVisible(tx, OPERATOR, id, version),

  /**
   * The given version if `scope` may read it, else the newest version it may read: the latest
   * for an operator or a public plan, the newest one it uses for a tenant on a private plan.
   */
  findVisible: async (tx: Tx, scope: Scope, id: string, version?: number): Promise<PlanRecord | null> => {
    const row = await tx.maybeOne(sql.type(versionRow)`
      SELECT ${columns} FROM plans p JOIN plan_versions v ON v.plan_id = p.id
      WHERE p.id = ${id} AND ${version === undefined ? sql.fragment`TRUE` : sql.fragment`v.version = ${version}`} AND ${visibleTo(scope)}
      ORDER BY v.version DESC LIMIT 1`);
    return row ? toRecord(row) : null;
  },

  findByCode: async (tx: Tx, code: string): Promise<PlanRecord | null> => {
    const row = await tx.maybeOne(sql.type(versionRow)`
      SELECT ${columns} FROM plans p JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.latest_version
      WHERE p.code = ${code}`);
    return row ? toRecord(row) : null;
  },

  /** The plans `scope` may read, by code, each as the newest version it may read (see findVisible). */
  list: async (tx: Tx, scope: Scope, q: { limit: number; offset: number }): Promise<PlanRecord[]> => {
    const rows = await tx.any(sql.type(versionRow)`
      SELECT * FROM (
        SELECT DISTINCT ON (p.id) ${columns} FROM plans p JOIN plan_versions v ON v.plan_id = p.id
        WHERE ${visibleTo(scope)}
        ORDER BY p.id, v.version DESC
      ) shown
      ORDER BY code, id LIMIT ${q.limit} OFFSET ${q.offset}`);
    return rows.map(toRecord);
  },

  count: (tx: Tx, scope: Scope) =>
    tx.oneFirst(sql.type(z.object({ n: z.number() }))`
      SELECT count(DISTINCT p.id)::int AS n FROM plans p JOIN plan_versions v ON v.plan_id = p.id WHERE ${visibleTo(scope)}`),

  /** The versions of a plan `scope` may read, oldest first. */
  versions: async (tx: Tx, scope: Scope, id: string): Promise<PlanRecord[]> => {
    const rows = await tx.any(sql.type(versionRow)`
      SELECT ${columns} FROM plans p JOIN plan_versions v ON v.plan_id = p.id
      WHERE p.id = ${id} AND ${visibleTo(scope)} ORDER BY v.version`);
    return rows.map(toRecord);
  },

  /**
   * Changes a plan. Its latest version is edited in place while no subscription has used it;
   * otherwise version n + 1 is created and becomes the latest, and version n stays as it was
   * for the subscriptions and invoices that point at it. Null when the plan does not exist.
   * The code is the plan's identity and must stay the same (the caller checks). Visibility
   * belongs to the plan, not a version: it changes at once for every version, and stays as it
   * is when not given.
   */
  update: async (tx: Tx, id: string, plan: Plan, visibility?: PlanVisibility): Promise<PlanChange | null> => {
    // In use: frozen by a subscription that started on it or is scheduled to move to it, or still
    // referenced by one (a guard for a version referenced without having been frozen).
    const latest = await tx.maybeOne(sql.type(z.object({ version: z.number(), in_use: z.boolean() }))`
      SELECT v.version, (v.in_use_since IS NOT NULL OR EXISTS (
        SELECT 1 FROM subscriptions s
        WHERE (s.plan_id = p.id AND s.plan_version = v.version)
          OR (s.pending_change ->> 'type' = 'change_plan' AND s.pending_change ->> 'planId' = p.id::text
              AND s.pending_change ->> 'version' = v.version::text))) AS in_use
      FROM plans p JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.latest_version
      WHERE p.id = ${id}
      FOR UPDATE OF p, v`);
    if (!latest) return null;
    if (visibility) await tx.query(sql.unsafe`UPDATE plans SET visibility = ${visibility} WHERE id = ${id}`);
    if (latest.in_use) {
      const version = latest.version + 1;
      await tx.query(sql.unsafe`
        INSERT INTO plan_versions (plan_id, version, name, currency, "interval", interval_count, base_fee, trial_days, grace_period_seconds, late_usage_days, charges, included_credits)
        VALUES (${id}, ${version}, ${plan.name}, ${plan.currency}, ${plan.interval}, ${plan.intervalCount}, ${plan.baseFee},
                ${plan.trialDays}, ${plan.gracePeriodSeconds}, ${plan.lateUsageDays}, ${chargesJson(plan)}::jsonb, ${includedJson(plan)}::jsonb)`);
      await tx.query(sql.unsafe`UPDATE plans SET latest_version = ${version}, updated_at = now() WHERE id = ${id}`);
      return { record: (await plansRepository.findById(tx, id, version))!, newVersion: true };
    }
    await tx.query(sql.unsafe`
      UPDATE plan_versions SET name = ${plan.name}, currency = ${plan.currency}, "interval" = ${plan.interval},
        interval_count = ${plan.intervalCount}, base_fee = ${plan.baseFee}, trial_days = ${plan.trialDays},
        grace_period_seconds = ${plan.gracePeriodSeconds}, late_usage_days = ${plan.lateUsageDays}, charges = ${chargesJson(plan)}::jsonb,
        included_credits = ${includedJson(plan)}::jsonb, updated_at = now()
      WHERE plan_id = ${id} AND version = ${latest.version}`);
    await tx.query(sql.unsafe`UPDATE plans SET updated_at = now() WHERE id = ${id}`);
    return { record: (await plansRepository.findById(tx, id, latest.version))!, newVersion: false };
  },

  /**
   * Reads a version (the latest when none is given) for a subscription that is about to use it,
   * and freezes it, in the caller's transaction, which must start or update the workflow before
   * it commits or after. The read is FOR SHARE: an edit in place (update, which locks the row FOR
   * UPDATE) either committed first, and its terms are the ones read, or waits for this
   * transaction, then finds the version in use and creates a new one. Null when there is none.
   */
  freezeForUse: async (tx: Tx, id: string, version: number | undefined, at: Date = new Date()): Promise<PlanRecord | null> => {
    // Mark first, read-lock second. Read-locking first (FOR SHARE) and then marking deadlocks two
    // first subscribers: each holds a share lock the other's UPDATE waits for. The UPDATE takes the
    // row's write lock only while the version is unmarked; the next subscriber waits for that
    // commit, finds it marked, and takes just the share lock that keeps it from being edited.
    const wanted =
      version ??
      (await tx.maybeOneFirst(
        sql.type(z.object({ version: z.number() }))`SELECT max(version) AS version FROM plan_versions WHERE plan_id = ${id}`,
      ));
    if (wanted === null) return null;
    await plansRepository.markInUse(tx, id, wanted, at);
    const row = await tx.maybeOne(sql.type(versionRow)`
      SELECT ${columns} FROM plans p JOIN plan_versions v ON v.plan_id = p.id
      WHERE p.id = ${id} AND v.version = ${wanted}
      FOR SHARE OF v`);
    return row ? toRecord(row) : null;
  },

  /** Freezes a version: called when a subscription starts using it. Idempotent. */
  markInUse: async (tx: Tx, id: string, version: number, at: Date = new Date()): Promise<void> => {
    await tx.query(sql.unsafe`
      UPDATE plan_versions SET in_use_since = ${at.toISOString()}
      WHERE plan_id = ${id} AND version = ${version} AND in_use_since IS NULL`);
  },
};
