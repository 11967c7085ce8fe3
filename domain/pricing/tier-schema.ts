import { z } from 'zod';
import { decimalStringProblem, nonNegativeDecimalString, toDecimal } from '../money/index.ts';
import type { Decimal } from '../money/index.ts';

export const MAX_TIERS = 100;

/** One tier: it covers quantities in (previous upTo, upTo]; upTo null means no upper bound. */
export const tierSchema = z.strictObject({
  upTo: nonNegativeDecimalString.nullable(),
  unitPrice: nonNegativeDecimalString,
  flatFee: nonNegativeDecimalString.optional(),
});
export type Tier = z.output<typeof tierSchema>;

/**
 * Tiers ascend strictly, and only the last one is unbounded: it must be, so every quantity has a
 * tier. Issues carry the tier index in their path (…tiers.2.upTo) for the 400 answer.
 */
export const tiersSchema = z
  .array(tierSchema, { error: (issue) => (issue.input === undefined ? 'is required for this model' : 'must be a list of tiers') })
  .min(1, { error: 'must have at least one tier' })
  .max(MAX_TIERS, { error: `must have at most ${MAX_TIERS} tiers` })
  // Runs even when a tier has another fault (a bad price), so one answer lists every problem;
  // that is why it reads the raw values defensively.
  .superRefine((tiers, ctx) => checkTierOrder(tiers, ctx), { when: (payload) => Array.isArray(payload.value) });

function checkTierOrder(tiers: readonly unknown[], ctx: z.RefinementCtx): void {
  const last = tiers.length - 1;
  let previous: Decimal | null = null;
  tiers.forEach((tier, index) => {
    if (typeof tier !== 'object' || tier === null) return;
    const upTo = (tier as { upTo?: unknown }).upTo;
    // A missing upTo is already reported as required; guessing its intent would only add noise.
    if (upTo === undefined) return;
    const path = [index, 'upTo'];
    if (upTo === null) {
      if (index !== last) ctx.addIssue({ code: 'custom', path, message: 'only the last tier may be unbounded (upTo: null)' });
      return;
    }
    if (index === last) ctx.addIssue({ code: 'custom', path, message: 'the last tier must be unbounded (upTo: null)' });
    if (typeof upTo !== 'string' || decimalStringProblem(upTo, { nonNegative: true }) !== null) return;
    const bound = toDecimal(upTo);
    if (previous === null && bound.lte(0)) {
      ctx.addIssue({ code: 'custom', path, message: 'must be greater than 0' });
    } else if (previous !== null && bound.lte(previous)) {
      ctx.addIssue({ code: 'custom', path, message: `must be greater than the previous tier's upTo (${previous.toFixed()})` });
    }
    previous = bound;
  });
}
