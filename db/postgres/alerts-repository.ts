import { sql } from 'slonik';
import { z } from 'zod';
import { unlessTaken } from './write-refusals.ts';
import {
  ALERT_KINDS,
  ALERT_SEVERITIES,
  type AlertKind,
  type AlertRecord,
  type AlertRule,
  type AlertSeverity,
} from '../../domain/anomaly/index.ts';
import type { Tx } from './tenant-scope.ts';
import { allOf, ts } from './sql.ts';

// Alerts and alert rules (tenant-owned, RLS; see migration 0008 for the dedup key).

// A row is what domain/anomaly's toAlertView encodes: a column that drifts from its AlertRecord fails the typecheck.
export const alertRow = z.object({
  id: z.string(),
  tenant_id: z.string(),
  meter: z.string().nullable(),
  event_type: z.string().nullable(),
  kind: z.enum(ALERT_KINDS),
  severity: z.enum(ALERT_SEVERITIES),
  window_start: z.date(),
  window_end: z.date(),
  level: z.number().nullable(),
  observed: z.string(),
  expected: z.string().nullable(),
  currency: z.string().nullable(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
  created_at: z.date(),
  acknowledged_at: z.date().nullable(),
  acknowledged_by: z.string().nullable(),
}) satisfies z.ZodType<AlertRecord>;
export type AlertRow = z.infer<typeof alertRow>;

export type NewAlert = {
  tenantId: string;
  /** The meter the alert is about (its code), if any; never an event type. */
  meter: string | null;
  /** The event type whose event count was watched: usage_spike and usage_drop only. */
  eventType?: string;
  kind: AlertKind;
  severity: AlertSeverity;
  windowStart: Date;
  windowEnd: Date;
  level?: number;
  /** Decimal strings. */
  observed: string;
  expected: string | null;
  currency?: string;
  message: string;
  details?: Record<string, unknown>;
};

export type AlertFilter = { tenantId?: string; kind?: AlertKind; since?: Date };

const columns = sql.fragment`
  id, tenant_id, meter, event_type, kind, severity, window_start, window_end, level, observed::text AS observed,
  expected::text AS expected, currency, message, details, created_at, acknowledged_at, acknowledged_by`;

function where(f: AlertFilter) {
  return allOf([
    f.tenantId ? sql.fragment`tenant_id = ${f.tenantId}` : null,
    f.kind ? sql.fragment`kind = ${f.kind}` : null,
    f.since ? sql.fragment`created_at >= ${ts(f.since)}` : null,
  ]);
}

export const ruleRow = z.object({
  id: z.string(),
  tenant_id: z.string().nullable(),
  meter: z.string().nullable(),
  sensitivity: z.string().nullable(),
  window_minutes: z.number().nullable(),
  min_volume: z.number().nullable(),
  budget_levels: z.array(z.number()).nullable(),
  created_by: z.string().nullable(),
  created_at: z.date(),
});
export type RuleRow = z.infer<typeof ruleRow>;

export type NewRule = {
  tenantId: string | null;
  meter: string | null;
  /** A decimal string (at most 3 fractional digits). */
  sensitivity: string | null;
  windowMinutes: number | null;
  minVolume: number | null;
  budgetLevels: readonly number[] | null;
  createdBy: string | null;
};

const ruleColumns = sql.fragment`id, tenant_id, meter, sensitivity::text AS sensitivity, window_minutes, min_volume, budget_levels, created_by, created_at`;

/** A stored rule as domain/anomaly reads it. A sensitivity is a statistic, not money: a number is fine. */
export function toAlertRule(row: RuleRow): AlertRule {
  return {
    tenantId: row.tenant_id,
    meter: row.meter,
    sensitivity: row.sensitivity === null ? null : Number(row.sensitivity),
    windowMinutes: row.window_minutes,
    minVolume: row.min_volume,
    budgetLevels: row.budget_levels,
  };
}

export const alertsRepository = {
  /**
   * Inserts the alert unless one with the same dedup key (tenant, kind, meter, event type, window, level)
   * exists. Returns the new row, or null when it was a duplicate.
   */
  insertIfNew: (tx: Tx, a: NewAlert) =>
    tx.maybeOne(sql.type(alertRow)`
      INSERT INTO alerts (tenant_id, meter, event_type, kind, severity, window_start, window_end, level, observed, expected, currency, message, details)
      VALUES (${a.tenantId}, ${a.meter}, ${a.eventType ?? null}, ${a.kind}, ${a.severity}, ${ts(a.windowStart)}, ${ts(a.windowEnd)}, ${a.level ?? null},
              ${a.observed}::numeric, ${a.expected}::numeric, ${a.currency ?? null}, ${a.message}, ${sql.jsonb((a.details ?? {}) as never)})
      ON CONFLICT DO NOTHING
      RETURNING ${columns}`),

  findById: (tx: Tx, id: string) => tx.maybeOne(sql.type(alertRow)`SELECT ${columns} FROM alerts WHERE id = ${id}`),

  list: (tx: Tx, f: AlertFilter & { limit: number; offset: number }) =>
    tx.any(sql.type(alertRow)`
      SELECT ${columns} FROM alerts WHERE ${where(f)} ORDER BY created_at DESC, id LIMIT ${f.limit} OFFSET ${f.offset}`),

  count: (tx: Tx, f: AlertFilter) =>
    tx.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM alerts WHERE ${where(f)}`),

  /** Acknowledges once: a second acknowledgement keeps the first time and person. Null when not visible. */
  acknowledge: (tx: Tx, id: string, userId: string | null) =>
    tx.maybeOne(sql.type(alertRow)`
      UPDATE alerts SET acknowledged_by = CASE WHEN acknowledged_at IS NULL THEN ${userId}::uuid ELSE acknowledged_by END,
                        acknowledged_at = coalesce(acknowledged_at, now())
      WHERE id = ${id} RETURNING ${columns}`),

  /** The budget levels already raised for a tenant in a period. */
  budgetLevelsRaised: (tx: Tx, tenantId: string, periodStart: Date, periodEnd: Date) =>
    tx.anyFirst(sql.type(z.object({ level: z.number() }))`
      SELECT level FROM alerts
      WHERE tenant_id = ${tenantId} AND kind = 'budget_threshold' AND window_start = ${ts(periodStart)} AND window_end = ${ts(periodEnd)}
      ORDER BY level`),

  /**
   * The budget levels raised for several tenants in periods ending at `endsAfter` or later (a
   * page of the budget check reads them in one query): the caller picks each tenant's period.
   */
  budgetLevelsRaisedMany: (tx: Tx, tenantIds: readonly string[], endsAfter: Date) =>
    tx.any(sql.type(z.object({ tenant_id: z.string(), window_start: z.date(), window_end: z.date(), level: z.number() }))`
      SELECT tenant_id, window_start, window_end, level FROM alerts
      WHERE tenant_id = ANY(${sql.array([...tenantIds], 'uuid')}) AND kind = 'budget_threshold' AND window_end >= ${ts(endsAfter)}
      ORDER BY tenant_id, level`),

  /** A second rule for the same (tenant, meter) scope raises UniqueIntegrityConstraintViolationError (createRule answers 'taken'). */
  insertRule: (tx: Tx, r: NewRule) =>
    tx.one(sql.type(ruleRow)`
      INSERT INTO alert_rules (tenant_id, meter, sensitivity, window_minutes, min_volume, budget_levels, created_by)
      VALUES (${r.tenantId}, ${r.meter}, ${r.sensitivity}::numeric, ${r.windowMinutes}, ${r.minVolume},
              ${r.budgetLevels ? sql.array([...r.budgetLevels], 'int4') : null}, ${r.createdBy})
      RETURNING ${ruleColumns}`),

  /** insertRule, with a rule already set for the (tenant, meter) scope as its answer ('taken') rather than an error. */
  createRule: (tx: Tx, r: NewRule) => unlessTaken(alertsRepository.insertRule(tx, r)),

  listRules: (tx: Tx, f: { tenantId?: string } = {}) =>
    tx.any(sql.type(ruleRow)`
      SELECT ${ruleColumns} FROM alert_rules
      WHERE ${f.tenantId ? sql.fragment`tenant_id = ${f.tenantId}` : sql.fragment`true`}
      ORDER BY tenant_id NULLS FIRST, meter NULLS FIRST, created_at, id`),

  deleteRule: (tx: Tx, id: string) => tx.maybeOne(sql.type(ruleRow)`DELETE FROM alert_rules WHERE id = ${id} RETURNING ${ruleColumns}`),
};
