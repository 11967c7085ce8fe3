import { z } from 'zod';
import { ALERT_KINDS, ALERT_RULE_LIMITS, ALERT_SEVERITIES, MAX_ALERT_EVENT_TYPE_LENGTH } from '../../domain/anomaly/index.ts';
import { eventTypeSchema } from '../../domain/metering/index.ts';
import { Decimal } from '../../domain/money/index.ts';
import { paginationQuery } from '../http/pagination.ts';
import type { RuleRow } from '../../db/postgres/alerts-repository.ts';

export const alertSchema = z
  .object({
    id: z.uuid(),
    tenantId: z.uuid(),
    meter: z
      .string()
      .nullable()
      .describe('the code of the meter the alert is about (billing_failed for late usage of a meter); null for the other kinds'),
    eventType: z
      .string()
      .nullable()
      .describe('the event type whose event count was watched (usage_spike, usage_drop); null for the other kinds'),
    kind: z.enum(ALERT_KINDS),
    severity: z.enum(ALERT_SEVERITIES),
    window: z
      .object({ start: z.iso.datetime(), end: z.iso.datetime() })
      .describe('half-open [start, end): the span compared with its baseline, or the billing period for budget_threshold'),
    level: z.number().int().nullable().describe('percent of the budget reached (budget_threshold only)'),
    observed: z.string().describe('decimal string: events in the window, or the estimated charges (in currency) for budget_threshold'),
    expected: z.string().nullable().describe('decimal string: the baseline the window was compared with, or the budget'),
    currency: z.string().nullable(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).describe('the statistics behind the alert (z-score, scale, median, lastWeek, ...)'),
    createdAt: z.iso.datetime(),
    acknowledgedAt: z.iso.datetime().nullable(),
    acknowledgedBy: z.uuid().nullable().describe('the user who acknowledged it'),
  })
  .meta({ id: 'Alert' });

export const listAlertsQuery = z.strictObject({
  tenantId: z.uuid().optional().describe('operators: one tenant (default all); customers: only their own (another is 404)'),
  kind: z.enum(ALERT_KINDS).optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('alerts created at or after this instant'),
  ...paginationQuery,
});

export const alertIdParams = z.strictObject({ id: z.uuid() });

const L = ALERT_RULE_LIMITS;

/** At most `digits` digits after the point, as the number was written (0.1 + 0.2 has 17). */
const atMostFractionDigits = (digits: number) => (n: number) => Number.isFinite(n) && new Decimal(n).decimalPlaces() <= digits;

// Every bound here is one of ALERT_RULE_LIMITS, which the alert_rules CHECK constraints state
// too: a rule this schema accepts is one the table stores.
export const alertRuleBody = z
  .strictObject({
    tenantId: z.uuid().nullable().optional().describe('the tenant the rule applies to; omitted or null: every tenant'),
    meter: eventTypeSchema
      .nullable()
      .optional()
      .describe(
        `the event type the rule applies to (1 to ${MAX_ALERT_EVENT_TYPE_LENGTH} characters, as ingest accepts); omitted or null: every one`,
      ),
    sensitivity: z
      .number()
      .positive()
      .max(L.sensitivityMax)
      .refine(atMostFractionDigits(L.sensitivityFractionDigits), {
        error: `must have at most ${L.sensitivityFractionDigits} decimal places`,
      })
      .optional()
      .describe(
        `robust z-score a spike must exceed (default 6); above 0, at most ${L.sensitivityMax}, at most ${L.sensitivityFractionDigits} decimal places`,
      ),
    windowMinutes: z
      .number()
      .int()
      .min(L.windowMinutesMin)
      .max(L.windowMinutesMax)
      .optional()
      .describe('window length; rounded up to whole scan intervals (default: the scan interval)'),
    minVolume: z
      .number()
      .int()
      .min(L.minVolumeMin)
      .max(L.minVolumeMax)
      .optional()
      .describe('events a window needs to raise a spike (default 100)'),
    budgetLevels: z
      .array(z.number().int().min(L.budgetLevelMin).max(L.budgetLevelMax))
      .min(1)
      .max(L.budgetLevelsMaxCount)
      .refine((levels) => new Set(levels).size === levels.length, { error: 'must not repeat a level' })
      .optional()
      .describe('percent of the budget at which budget_threshold is raised (default [50, 80, 100]); tenant-wide rules only'),
  })
  .superRefine((r, ctx) => {
    if (r.sensitivity === undefined && r.windowMinutes === undefined && r.minVolume === undefined && r.budgetLevels === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sensitivity'],
        message: 'a rule must set at least one of sensitivity, windowMinutes, minVolume, budgetLevels',
      });
    }
    if (r.budgetLevels !== undefined && r.meter) {
      ctx.addIssue({ code: 'custom', path: ['budgetLevels'], message: 'applies to a whole tenant: omit meter' });
    }
  });

export const alertRuleSchema = z
  .object({
    id: z.uuid(),
    tenantId: z.uuid().nullable(),
    meter: z.string().nullable(),
    sensitivity: z.number().nullable(),
    windowMinutes: z.number().int().nullable(),
    minVolume: z.number().int().nullable(),
    budgetLevels: z.array(z.number().int()).nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'AlertRule' });

export const listRulesQuery = z.strictObject({ tenantId: z.uuid().optional().describe("only this tenant's rules") });

export const toAlertRuleResponse = (r: RuleRow): z.infer<typeof alertRuleSchema> => ({
  id: r.id,
  tenantId: r.tenant_id,
  meter: r.meter,
  sensitivity: r.sensitivity === null ? null : Number(r.sensitivity),
  windowMinutes: r.window_minutes,
  minVolume: r.min_volume,
  budgetLevels: r.budget_levels,
  createdAt: r.created_at.toISOString(),
});
