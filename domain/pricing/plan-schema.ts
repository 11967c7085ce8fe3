import { z } from 'zod';
import { currencyCode, nonNegativeDecimalString } from '../money/index.ts';
import { intervalCountSchema, intervalSchema } from '../periods/index.ts';
import { chargeSchema } from './charge-schema.ts';

export const MAX_CHARGES = 100;
export const DEFAULT_GRACE_PERIOD_SECONDS = 3600;
/** Late events are billed up to this many days after their period ends (0..MAX_LATE_USAGE_DAYS). */
export const DEFAULT_LATE_USAGE_DAYS = 35;
/** A bound on how far back each invoice re-reads: at most 400 daily windows per meter. */
export const MAX_LATE_USAGE_DAYS = 400;

const wholeNumber = (max: number) =>
  z
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must not be negative' })
    .max(max, { error: `must be at most ${max}` });

/** A plan as an admin sends it (POST /api/pricing/plans). Server fields (id, version) are not here. */
export const planSchema = z.strictObject({
  code: z.string({ error: 'is required' }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    error: 'must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  }),
  name: z
    .string({ error: 'is required' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(200, { error: 'must be at most 200 characters' }),
  currency: currencyCode,
  interval: intervalSchema,
  intervalCount: intervalCountSchema.default(1),
  baseFee: nonNegativeDecimalString,
  trialDays: wholeNumber(3650).default(0),
  /** How long after a period ends late events are still waited for before rating it. */
  gracePeriodSeconds: wholeNumber(30 * 86_400).default(DEFAULT_GRACE_PERIOD_SECONDS),
  /**
   * How many days after a period ends its late events are still billed, as adjustments on a later
   * invoice (after a cancellation too: the subscription stays open for them that long).
   */
  lateUsageDays: wholeNumber(MAX_LATE_USAGE_DAYS).default(DEFAULT_LATE_USAGE_DAYS),
  charges: z
    .array(chargeSchema, { error: 'must be a list of charges' })
    .max(MAX_CHARGES, { error: `must have at most ${MAX_CHARGES} charges` })
    .superRefine(refuseRepeatedMeters),
  /**
   * Credit granted to each subscriber at the start of each period, in the plan's currency (its
   * digits and range are checked against the currency where the plan is written: api/pricing).
   * Without rollover, what a period leaves expires at its end.
   */
  includedCredits: z
    .strictObject({
      amount: nonNegativeDecimalString,
      rollover: z.boolean({ error: 'must be true or false' }),
    })
    .optional(),
});

/**
 * A plan charges each meter once. What earlier parts of a split period billed is kept per meter,
 * so two charges on one meter would each subtract the other's share; and which charge a usage line
 * belongs to would be ambiguous on the invoice. Pricing one meter several ways is what tiers are for.
 */
function refuseRepeatedMeters(charges: readonly { meter: string }[], ctx: z.RefinementCtx): void {
  const first = new Map<string, number>();
  charges.forEach((charge, i) => {
    const earlier = first.get(charge.meter);
    if (earlier === undefined) first.set(charge.meter, i);
    else
      ctx.addIssue({
        code: 'custom',
        path: [i, 'meter'],
        message: `is already charged by charges[${earlier}]: a plan charges each meter once`,
      });
  });
}

export type Plan = z.output<typeof planSchema>;

/**
 * Who may read a plan besides admin and finance. A `public` plan is a published price list
 * every signed-in user may read; a `private` one (the default) only its subscribers, and only
 * the versions they use. Not part of `Plan`: it decides who reads the prices, not what they are.
 */
export const PLAN_VISIBILITIES = ['public', 'private'] as const;
export type PlanVisibility = (typeof PLAN_VISIBILITIES)[number];
export const DEFAULT_PLAN_VISIBILITY: PlanVisibility = 'private';
export const planVisibilitySchema = z.enum(PLAN_VISIBILITIES, { error: 'must be "public" or "private"' });
export type PlanInput = z.input<typeof planSchema>;
