import { z } from 'zod';
import { meterCodeSchema } from '../../domain/metering/index.ts';
import { integerText } from '../http/integer-schemas.ts';
import { MAX_SUMMARY_DAYS, instant, ordered } from './usage-schemas.ts';

export const MAX_TOP_TENANTS = 100;

export const tenantsUsageQuery = z
  .strictObject({
    from: instant.meta({ description: 'Start of the window (inclusive)' }),
    to: instant.meta({ description: 'End of the window (exclusive)' }),
    meter: meterCodeSchema.optional(),
    top: integerText(1, MAX_TOP_TENANTS).default(10).meta({ description: 'How many tenants to list per meter, largest value first' }),
  })
  .superRefine((q, ctx) => {
    ordered(q, ctx);
    if (q.to.getTime() - q.from.getTime() > MAX_SUMMARY_DAYS * 86_400_000)
      ctx.addIssue({ code: 'custom', path: ['to'], message: `the window may span at most ${MAX_SUMMARY_DAYS} days` });
  });

export const tenantsUsageResponse = z
  .object({
    from: z.string(),
    to: z.string(),
    tenants: z.number().int().describe('the tenants read (every tenant)'),
    items: z.array(
      z.object({
        meter: z.string(),
        aggregation: z.string(),
        value: z
          .string()
          .describe(
            "the meter's aggregation over every tenant's deduplicated events (count and sum: the tenants' values added; max: the largest; unique_count: distinct values across tenants; latest: the latest event of any tenant)",
          ),
        events: z.number().int(),
        tenantsWithUsage: z.number().int().describe('tenants with at least one event of the meter in the window'),
        top: z
          .array(z.object({ tenantId: z.uuid(), value: z.string(), events: z.number().int() }))
          .describe('the `top` tenants by value, largest first (ties by tenant id)'),
      }),
    ),
  })
  .meta({ id: 'UsageByTenant' });
export type TenantsUsage = z.infer<typeof tenantsUsageResponse>;
