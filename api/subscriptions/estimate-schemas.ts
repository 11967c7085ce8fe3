import { z } from 'zod';
import { quoteResponse } from '../pricing/plan-schemas.ts';

export const estimateResponse = z
  .object({
    subscriptionId: z.uuid(),
    tenantId: z.uuid(),
    planId: z.uuid(),
    planVersion: z.number().int().describe('the version the subscription is on: its prices are the ones used'),
    period: z.object({ start: z.iso.datetime(), end: z.iso.datetime() }).describe('the current billing period'),
    window: z
      .object({ from: z.iso.datetime(), to: z.iso.datetime() })
      .describe('the usage read: from the period start to now (or the period end)'),
    estimatedAt: z.iso.datetime(),
    taxRate: z.string(),
    currency: z.string(),
    baseFee: z.string(),
    lines: quoteResponse.shape.lines,
    subtotal: z.string().describe('rounded base fee + the rounded lines'),
    tax: z.string().describe('round(subtotal × taxRate)'),
    total: z.string().describe('subtotal + tax: what the period would bill if it closed now'),
  })
  .meta({ id: 'SubscriptionEstimate' });
export type SubscriptionEstimate = z.infer<typeof estimateResponse>;
