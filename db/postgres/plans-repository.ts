import { sql } from 'slonik';
import { z } from 'zod';
import { planSchema, type Plan } from '../../domain/pricing/index.ts';
import { toDecimal, toDecimalString } from '../../domain/money/index.ts';
import type { Tx } from './tenant-scope.ts';

// Plans are operator-owned: these queries run in any scope (no RLS on plans).

const versionRow = z.object({
  id: z.string(),
  code: z.string(),
  latest_version: z.number(),
  version: z.number(),
  name: z.string(),
  currency: z.string(),
  interval: z.string(),
  interval_count: z.number(),
  base_fee: z.string(),
  trial_days: z.number(),
  grace_period_seconds: z.number(),
  charges: z.unknown(),
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
  /** True once a subscription has used this version: it will never change again. */
  inUse: boolean;
  plan: Plan;
  createdAt: Date;
  updatedAt: Date;
};

const columns = sql.fragment`
  p.id, p.code, p.latest_version, v.version, v.name, v.currency, v."interval", v.interval_count,
  v.base_fee::text AS base_fee, v.trial_days, v.grace_period_seconds, v.charges, v.in_use_since,
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
    charges: row.charges,
  });
  return { id: row.id, version: row.version, latestVersion: row.latest_version, inUse: row.in_use_since !== null, plan, createdAt: row.created_at, updatedAt: row.updated_at };
}

const chargesJson = (plan: Plan) => JSON.stringify(plan.charges);

export type PlanChange = { record: PlanRecord; newVersion: boolean };

export const plansRepository = {
  /** Creates a plan at version 1. A duplicate code raises slonik's UniqueIntegrityConstraintViolationError. */
  insert: async (tx: Tx, plan: Plan): Promise<PlanRecord> => {
    const id = await tx.oneFirst(sql.type(z.object({ id: z.string() }))`
      INSERT INTO plans (code) VALUES (${plan.code}) RETURNING id`);
    await tx.query(sql.unsafe`
      INSERT INTO plan_versions (plan_id, version, name, currency, "interval", interval_count, base_fee, trial_days, grace_period_seconds, charges)
      VALUES (${id}, 1, ${plan.name}, ${plan.currency}, ${plan.interval}, ${plan.intervalCount}, ${plan.baseFee},
              ${plan.trialDays}, ${plan.gracePeriodSeconds}, ${chargesJson(plan)}::jsonb)`);
    return (await plansRepository.findById(tx, id))!;
  },

  /** The latest version, or the given one. */
  findById: async (tx: Tx, id: string, version?: number): Promise<PlanRecord | null> => {
    const row = await tx.maybeOne(sql.type(versionRow)`
      SELECT ${columns} FROM plans p JOIN plan_versions v ON v.plan_id = p.id
      WHERE p.id = ${id} AND v.version = ${version ?? sql.fragment`p.latest_version`}`);
    return row ? toRecord(row) : null;
  },

  findByCode: async (tx: Tx, code: string): Promise<PlanRecord | null> => {
    const row = await tx.maybeOne(sql.type(versionRow)`
      SELECT ${columns} FROM plans p JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.latest_version
      WHERE p.code = ${code}`);
    return row ? toRecord(row) : null;
  },

  /** Latest versions, by code. */
  list: async (tx: Tx, q: { limit: number; offset: number }): Promise<PlanRecord[]> => {
    const rows = await tx.any(sql.type(versionRow)`
      SELECT ${columns} FROM plans p JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.latest_version
      ORDER BY p.code, p.id LIMIT ${q.limit} OFFSET ${q.offset}`);
    return rows.map(toRecord);
  },

  count: (tx: Tx) => tx.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM plans`),

  /** Every version of a plan, oldest first. */
  versions: async (tx: Tx, id: string): Promise<PlanRecord[]> => {
    const rows = await tx.any(sql.type(versionRow)`
      SELECT ${columns} FROM plans p JOIN plan_versions v ON v.plan_id = p.id
      WHERE p.id = ${id} ORDER BY v.version`);
    return rows.map(toRecord);
  },

  /**
   * Changes a plan. Its latest version is edited in place while no subscription has used it;
   * otherwise version n + 1 is created and becomes the latest, and version n stays as it was
   * for the subscriptions and invoices that point at it. Null when the plan does not exist.
   * The code is the plan's identity and must stay the same (the caller checks).
   */
  update: async (tx: Tx, id: string, plan: Plan): Promise<PlanChange | null> => {
    const latest = await tx.maybeOne(sql.type(z.object({ version: z.number(), in_use: z.boolean() }))`
      SELECT v.version, v.in_use_since IS NOT NULL AS in_use
      FROM plans p JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.latest_version
      WHERE p.id = ${id}
      FOR UPDATE OF p, v`);
    if (!latest) return null;
    if (latest.in_use) {
      const version = latest.version + 1;
      await tx.query(sql.unsafe`
        INSERT INTO plan_versions (plan_id, version, name, currency, "interval", interval_count, base_fee, trial_days, grace_period_seconds, charges)
        VALUES (${id}, ${version}, ${plan.name}, ${plan.currency}, ${plan.interval}, ${plan.intervalCount}, ${plan.baseFee},
                ${plan.trialDays}, ${plan.gracePeriodSeconds}, ${chargesJson(plan)}::jsonb)`);
      await tx.query(sql.unsafe`UPDATE plans SET latest_version = ${version}, updated_at = now() WHERE id = ${id}`);
      return { record: (await plansRepository.findById(tx, id, version))!, newVersion: true };
    }
    await tx.query(sql.unsafe`
      UPDATE plan_versions SET name = ${plan.name}, currency = ${plan.currency}, "interval" = ${plan.interval},
        interval_count = ${plan.intervalCount}, base_fee = ${plan.baseFee}, trial_days = ${plan.trialDays},
        grace_period_seconds = ${plan.gracePeriodSeconds}, charges = ${chargesJson(plan)}::jsonb, updated_at = now()
      WHERE plan_id = ${id} AND version = ${latest.version}`);
    await tx.query(sql.unsafe`UPDATE plans SET updated_at = now() WHERE id = ${id}`);
    return { record: (await plansRepository.findById(tx, id, latest.version))!, newVersion: false };
  },

  /** Freezes a version: called when a subscription starts using it. Idempotent. */
  markInUse: async (tx: Tx, id: string, version: number, at: Date = new Date()): Promise<void> => {
    await tx.query(sql.unsafe`
      UPDATE plan_versions SET in_use_since = ${at.toISOString()}
      WHERE plan_id = ${id} AND version = ${version} AND in_use_since IS NULL`);
  },
};
