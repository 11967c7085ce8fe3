import { z } from 'zod';

const planRef = z.object({
  planId: z.uuid(),
  version: z.number().int(),
  code: z.string(),
  name: z.string(),
  baseFee: z.string().describe("the version's whole base fee for a period"),
});
const window = z.object({ from: z.iso.datetime(), to: z.iso.datetime() });

export const planChangePreviewResponse = z
  .object({
    subscriptionId: z.uuid(),
    tenantId: z.uuid(),
    currency: z.string(),
    effective: z.enum(['immediate', 'period_end']),
    effectiveAt: z.iso.datetime().describe('now for an immediate change, else the current period end'),
    period: z.object({ start: z.iso.datetime(), end: z.iso.datetime() }).describe('the current billing period'),
    inTrial: z.boolean().describe('the current period is a trial: nothing of it is invoiced'),
    parts: z
      .array(
        z.object({
          plan: planRef,
          window,
          fixed: z
            .array(
              z.object({
                type: z.enum(['base_fee', 'proration', 'usage']),
                meter: z.string().nullable(),
                description: z.string(),
                amount: z.string(),
              }),
            )
            .describe('the base fee and flat charges of the part, exactly as its invoice lines will be (prorated by elapsed time)'),
          fixedTotal: z.string(),
        }),
      )
      .describe("the current period split at the change: the old plan's part(s), then the new plan's"),
    next: z
      .object({ from: z.iso.datetime(), plan: planRef })
      .nullable()
      .describe('a period-end change: the plan that bills from the next period on'),
    usage: z.string().describe("usage charges are priced when the period closes, with each part's own prices"),
  })
  .meta({ id: 'PlanChangePreview' });
export type PlanChangePreviewBody = z.infer<typeof planChangePreviewResponse>;
