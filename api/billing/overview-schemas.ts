import { z } from 'zod';
import { instant } from '../usage/usage-schemas.ts';

export const overviewQuery = z.strictObject({
  // Its month and the one before must be instants PostgreSQL and ISO 8601 both spell plainly.
  at: instant
    .refine((d) => d.getUTCFullYear() >= 1971 && d.getUTCFullYear() <= 9998, { message: 'must lie in the years 1971 to 9998' })
    .optional()
    .meta({
      description:
        'The instant the figures are as of (default now): its calendar month (UTC) is "this month", and overdue means due before it',
    }),
});

const counted = z.object({ count: z.number().int(), amount: z.string() });
const month = z.object({ start: z.iso.datetime(), end: z.iso.datetime() });

const currencyFigures = z.object({
  currency: z.string(),
  revenueThisMonth: z
    .string()
    .describe('the totals of invoices issued this calendar month (UTC) and not void: finalized, payment_failed, paid or uncollectible'),
  revenueLastMonth: z.string().describe('the same for the previous calendar month'),
  mrr: z
    .string()
    .describe(
      'monthly recurring revenue: the base fees of active and past_due subscriptions (their plan versions), each divided by the months its interval lasts, summed, rounded once',
    ),
  overdue: counted.describe('finalized or payment_failed invoices due before `at`; amount = what is still owed (amountDue − amountPaid)'),
  uncollectible: counted.describe('uncollectible invoices; amount = what is still owed on them'),
  byStatus: z.array(
    z.object({ status: z.string(), count: z.number().int(), amount: z.string().describe('totals (subtotals while draft)') }),
  ),
  topTenants: z
    .array(z.object({ tenantId: z.uuid(), amount: z.string() }))
    .describe('the 5 tenants billed most for usage (usage and adjustment lines) on invoices issued in the 60 days before `at`'),
});

export const overviewResponse = z
  .object({
    at: z.iso.datetime(),
    thisMonth: month,
    lastMonth: month,
    currencies: z
      .array(currencyFigures)
      .describe(
        'one entry per currency that has invoices or paying subscriptions; amounts are decimal strings in that currency, never added across currencies',
      ),
    subscriptions: z.object({
      trialing: z.number().int(),
      active: z.number().int(),
      pastDue: z.number().int(),
      canceled: z.number().int(),
    }),
  })
  .meta({ id: 'BillingOverview' });
export type BillingOverview = z.infer<typeof overviewResponse>;
