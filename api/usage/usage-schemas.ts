import { z } from 'zod';
import { GRANULARITIES, meterCodeSchema, parseRfc3339 } from '../../domain/metering/index.ts';
import { integerText } from '../http/integer-schemas.ts';

export const MAX_SUMMARY_DAYS = 400;
export const MAX_POINTS = 10_000;
export const MAX_EVENTS_LIMIT = 1_000;

export const instant = z
  .string()
  .transform((text, ctx) => {
    const ms = parseRfc3339(text);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: 'must be an RFC 3339 timestamp such as 2026-01-01T00:00:00Z' });
      return z.NEVER;
    }
    return new Date(ms);
  })
  .meta({ description: 'RFC 3339 instant', example: '2026-01-01T00:00:00Z' });

// groupBy=model,region or groupBy=model&groupBy=region
const groupBy = z
  .union([z.string(), z.array(z.string())])
  .transform((v) =>
    (Array.isArray(v) ? v : [v])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .optional()
  .meta({ description: "Properties (of the meter's groupBy) to break the value down by, comma-separated" });

const window = {
  tenantId: z
    .string()
    .max(64)
    .optional()
    .meta({ description: 'Required for admin and finance; customers and API keys may only name their own tenant' }),
  from: instant.meta({ description: 'Start of the window (inclusive)' }),
  to: instant.meta({ description: 'End of the window (exclusive)' }),
};

export const ordered = <T extends { from: Date; to: Date }>(q: T, ctx: z.RefinementCtx) => {
  if (q.from >= q.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
};

export const summaryQuery = z.strictObject({ ...window, meter: meterCodeSchema.optional(), groupBy }).superRefine((q, ctx) => {
  ordered(q, ctx);
  if (q.to.getTime() - q.from.getTime() > MAX_SUMMARY_DAYS * 86_400_000)
    ctx.addIssue({ code: 'custom', path: ['to'], message: `the window may span at most ${MAX_SUMMARY_DAYS} days` });
  if (q.groupBy?.length && !q.meter)
    ctx.addIssue({ code: 'custom', path: ['groupBy'], message: 'needs meter: group properties belong to one meter' });
});

export const timeseriesQuery = z
  .strictObject({
    ...window,
    meter: meterCodeSchema,
    granularity: z.enum(GRANULARITIES, { error: `must be one of ${GRANULARITIES.join(', ')}` }),
    groupBy,
  })
  .superRefine(ordered);

export const eventsQuery = z
  .strictObject({ ...window, meter: meterCodeSchema, limit: integerText(1, MAX_EVENTS_LIMIT).default(100) })
  .superRefine(ordered);

const groupSchema = z.object({ key: z.record(z.string(), z.string().nullable()), value: z.string(), events: z.number().int() });

export const summaryResponse = z
  .object({
    from: z.string(),
    to: z.string(),
    items: z.array(
      z.object({
        meter: z.string(),
        aggregation: z.string(),
        value: z.string().meta({ description: 'Exact decimal string, deduplicated' }),
        events: z.number().int().meta({ description: 'Deduplicated events counted' }),
        groups: z.array(groupSchema).optional(),
      }),
    ),
  })
  .meta({ id: 'UsageSummary' });

export const timeseriesResponse = z
  .object({
    meter: z.string(),
    aggregation: z.string(),
    granularity: z.enum(GRANULARITIES),
    from: z.string(),
    to: z.string(),
    points: z.array(z.object({ t: z.string(), value: z.string(), events: z.number().int(), groups: z.array(groupSchema).optional() })),
  })
  .meta({ id: 'UsageTimeseries' });

/** One event as stored (its first delivery), with its number of deliveries: the usage and invoice-line drill-downs. */
export const meteredEventSchema = z.object({
  id: z.string(),
  type: z.string(),
  time: z.string(),
  subject: z.string(),
  source: z.string(),
  data: z.unknown(),
  deliveries: z.number().int(),
});

export const eventsResponse = z
  .object({
    items: z.array(meteredEventSchema),
  })
  .meta({ id: 'MeteredEvents' });
