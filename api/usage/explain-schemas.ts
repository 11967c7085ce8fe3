import { z } from 'zod';
import { AGGREGATIONS, MAX_EVENT_ID_LENGTH, MAX_SOURCE_LENGTH } from '../../domain/metering/index.ts';
import { EXPLAIN_REASONS } from '../../domain/billing/explain-event.ts';

// The same bounds as ingest: anything ingest could have stored can be asked about, nothing longer.
export const explainQuery = z.strictObject({
  tenantId: z
    .uuid()
    .optional()
    .meta({ description: 'Required for admin and finance; customers and API keys may only name their own tenant' }),
  id: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_EVENT_ID_LENGTH, `must be at most ${MAX_EVENT_ID_LENGTH} characters`)
    .meta({ description: 'The event id, as sent' }),
  source: z.string().min(1, 'must not be empty').max(MAX_SOURCE_LENGTH, `must be at most ${MAX_SOURCE_LENGTH} characters`).optional().meta({
    description:
      'The event source (plain JSON events have "api"). Without it, every event of the tenant with this id is explained, one per source.',
  }),
});

const stamp = z.string().meta({ description: 'Acceptance stamp, RFC 3339 with microseconds: the first accepted delivery wins' });
const window = z.object({ start: z.string(), end: z.string() });

const delivery = z.object({
  won: z.boolean(),
  reason: z.enum(['duplicate_of']).nullable().describe('duplicate_of: a later delivery, ignored; duplicateOf names the delivery that won'),
  duplicateOf: z.object({ source: z.string(), id: z.string(), acceptedAt: stamp }).nullable(),
  time: z.string(),
  source: z.string(),
  acceptedAt: stamp,
  type: z.string(),
  subject: z.string(),
  data: z.unknown().describe('The data as stored (numbers exactly as sent)'),
});

const subscriptionOutcome = z.object({
  subscriptionId: z.uuid(),
  status: z.enum(['billed', 'pending', 'not_billed']),
  reason: z.enum(['after_final_invoice', 'late_beyond_horizon']).nullable(),
  detail: z.string().nullable(),
  period: window
    .nullable()
    .describe("The billing period (the invoice's window) its line belongs to; for pending, the current period when it holds the event"),
  invoice: z.object({ id: z.uuid(), number: z.string().nullable(), status: z.string(), reason: z.string() }).nullable(),
  line: z
    .object({ id: z.uuid(), position: z.number().int(), type: z.string(), from: z.string(), to: z.string(), ratedAt: z.string() })
    .nullable()
    .describe('billed: the line that counted it; not_billed: the line that rated its window before it arrived'),
});

const meterOutcome = z.object({
  meter: z.string(),
  aggregation: z.enum(AGGREGATIONS),
  counts: z.boolean().describe('The meter counts the event: its type, filters and value fit'),
  value: z
    .string()
    .nullable()
    .describe('What the event adds: "1" for count, its exact metered number for sum, max and latest, its text for unique_count'),
  status: z.enum(['billed', 'pending', 'not_billed']),
  reason: z
    .enum(['filtered_out', 'value_not_numeric', 'outside_any_subscription', 'after_final_invoice', 'late_beyond_horizon'])
    .nullable(),
  detail: z.string(),
  subscriptions: z.array(subscriptionOutcome),
});

export const explainResponse = z
  .object({
    tenantId: z.uuid(),
    id: z.string(),
    reasons: z.array(z.enum(EXPLAIN_REASONS)).describe('Every reason code that appears below, once'),
    events: z
      .array(
        z.object({
          source: z.string(),
          id: z.string(),
          reason: z.enum(['no_meter']).nullable(),
          winner: z.object({ time: z.string(), source: z.string(), acceptedAt: stamp, type: z.string() }),
          deliveries: z.array(delivery).describe('Every delivery, the winner first, then the later ones in acceptance order'),
          meters: z.array(meterOutcome).describe("Every meter that reads the event's type"),
        }),
      )
      .describe('One per source that sent this id (one when source is given)'),
  })
  .meta({ id: 'UsageEventExplanation' });
export type ExplainResponse = z.infer<typeof explainResponse>;
