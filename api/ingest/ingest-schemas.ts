import { z } from 'zod';

/**
 * The documented shapes of an ingest request (OpenAPI). Ingest validates with
 * domain/metering/event-validation.ts, which names each failing field as events[i].path;
 * these schemas only describe what it accepts.
 */
export const usageEventSchema = z
  .object({
    specversion: z.literal('1.0').optional().meta({ description: 'Required for the CloudEvents content types' }),
    id: z.string().min(1).max(256).meta({ description: 'Idempotency key: the same (tenant, id) counts once, whatever is redelivered' }),
    type: z.string().min(1).max(256).meta({ description: 'Event type; meters read events by type' }),
    source: z.string().max(1024).optional().meta({ description: 'Default "api"' }),
    time: z.string().optional().meta({ description: 'RFC 3339; default the receive time; at most 5 minutes in the future' }),
    subject: z
      .string()
      .max(256)
      .optional()
      .meta({ description: "The tenant's externalId or id: required with an admin session, must match an API key's tenant" }),
    datacontenttype: z.string().optional(),
    data: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'Numeric values as JSON numbers or decimal strings; never rounded' }),
  })
  .meta({ id: 'UsageEvent' });

export const ingestBodySchema = z.union([
  usageEventSchema,
  z.array(usageEventSchema).max(10_000),
  z.object({ events: z.array(usageEventSchema).max(10_000) }),
]);

export const ingestResponseSchema = z
  .object({
    accepted: z.number().int().meta({ description: 'Events in the request, redeliveries included, all committed to storage' }),
    warnings: z
      .array(
        z.object({
          type: z
            .string()
            .meta({ description: 'An event type that no meter reads (stored, but it counts for nothing yet), or `late_beyond_horizon`' }),
          message: z.string(),
          index: z
            .number()
            .int()
            .optional()
            .meta({ description: 'late_beyond_horizon: the event (events[index]) that will not be billed' }),
        }),
      )
      .meta({
        description:
          "Event types that no meter reads; and `late_beyond_horizon` per event whose billing period ended more than its plan's lateUsageDays ago for every subscription that could bill it (stored, never billed; at most 100 listed, then one with the count)",
      }),
  })
  .meta({ id: 'IngestResult' });

const example = (id: string, tokens: number | string) => ({
  specversion: '1.0',
  id,
  type: 'llm.completion',
  source: 'chat-service',
  subject: 'acme',
  time: '2026-01-31T12:00:00Z',
  data: { tokens, model: 'gpt-5' },
});

export const ingestExamples = {
  structured: { summary: 'One CloudEvent (structured mode)', contentType: 'application/cloudevents+json', value: example('evt-1', 1520) },
  batch: {
    summary: 'A CloudEvents batch',
    contentType: 'application/cloudevents-batch+json',
    value: [example('evt-1', 1520), example('evt-2', '0.000000000001')],
  },
  plain: {
    summary: 'Plain JSON: one event, an array, or {events: [...]}',
    contentType: 'application/json',
    value: { events: [{ id: 'evt-3', type: 'api_call', subject: 'acme', data: { endpoint: '/v1/search' } }] },
  },
};
