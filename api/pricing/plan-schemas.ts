import { z } from 'zod';
import { PLAN_VISIBILITIES, chargeSchema, planSchema, planVisibilitySchema } from '../../domain/pricing/index.ts';
import { nonNegativeDecimalString } from '../../domain/money/index.ts';
import type { PlanRecord } from '../../db/postgres/plans-repository.ts';
import { positiveInteger, positiveIntegerText } from '../http/integer-schemas.ts';

/** What POST and PUT /pricing/plans accept: domain/pricing's plan schema, plus who may read the plan. */
export const planBody = planSchema.extend({
  visibility: planVisibilitySchema
    .optional()
    .describe(
      'public: every signed-in user may read it; private: admin, finance and the tenants that use it. Default private on create; kept as it is when omitted on update',
    ),
});

export const planIdParams = z.strictObject({ id: z.uuid('must be a plan id (uuid)') });

export const planVersionQuery = z.strictObject({
  version: positiveIntegerText().optional().describe('a specific version (default: the latest)'),
});

export const planResponse = z
  .object({
    id: z.uuid(),
    version: z.number().int().describe('the version shown'),
    latestVersion: z.number().int(),
    visibility: z
      .enum(PLAN_VISIBILITIES)
      .describe('of the plan (every version): private plans are shown to customers only in the versions they use'),
    inUse: z.boolean().describe('true once a subscription uses this version; a change then creates a new version'),
    code: z.string(),
    name: z.string(),
    currency: z.string(),
    interval: z.enum(['day', 'week', 'month', 'year']),
    intervalCount: z.number().int(),
    baseFee: z.string(),
    trialDays: z.number().int(),
    gracePeriodSeconds: z.number().int(),
    lateUsageDays: z.number().int().describe('days after a period ends during which its late events are still billed, as adjustments'),
    charges: z.array(chargeSchema),
    includedCredits: z
      .object({ amount: z.string(), rollover: z.boolean() })
      .optional()
      .describe('credit granted at each period start (absent: none); without rollover it expires at the period end'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Plan' });
export type PlanResponse = z.infer<typeof planResponse>;

export const toPlanResponse = (r: PlanRecord): PlanResponse => ({
  id: r.id,
  version: r.version,
  latestVersion: r.latestVersion,
  visibility: r.visibility,
  inUse: r.inUse,
  ...r.plan,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const meterCode = z.string().min(1).max(200);

export const quoteBody = z.strictObject({
  usage: z
    .record(meterCode, z.union([nonNegativeDecimalString, z.record(z.string().min(1).max(200), nonNegativeDecimalString)]))
    .default({})
    .describe(
      'usage per meter code for one period, as decimal strings; for a rate card (a charge with priceBy), either per value of its property ({"large": "1000"}) or a plain quantity, which is usage without the property and is priced by the fallback',
    ),
  tenantId: z
    .uuid('must be a tenant id (uuid)')
    .optional()
    .describe("tax comes from this tenant's taxRate; customers may only name their own tenant"),
  version: positiveInteger().optional().describe('quote a specific plan version (default: the latest)'),
});

/** One tier of a line's tier breakdown, in quotes, estimates and invoice lines alike. */
export const tierBreakdownSchema = z.object({
  tier: z.number().int(),
  upTo: z.string().nullable(),
  quantity: z.string(),
  unitPrice: z.string(),
  flatFee: z.string(),
  amount: z.string(),
});

export const quoteResponse = z
  .object({
    planId: z.uuid(),
    planVersion: z.number().int(),
    tenantId: z.uuid().nullable(),
    taxRate: z.string(),
    currency: z.string(),
    baseFee: z.string(),
    lines: z.array(
      z.object({
        meter: z.string(),
        model: z.string(),
        quantity: z.string(),
        amount: z.string(),
        tiers: z.array(tierBreakdownSchema).optional(),
        dimensions: z
          .record(z.string(), z.string().nullable())
          .optional()
          .describe('a rate card\'s line: {"<priceBy>": "<value>"} (null: usage without the property, priced by the fallback)'),
      }),
    ),
    subtotal: z.string().describe('rounded base fee + the rounded lines'),
    tax: z.string().describe('round(subtotal × taxRate)'),
    total: z.string().describe('subtotal + tax'),
  })
  .meta({ id: 'Quote' });
