import { defineRoute, type RouteDef } from '../http/route.ts';
import { HttpProblem } from '../http/problem.ts';
import { mediaType, readBodyText } from '../http/read-body.ts';
import { INGEST_CONTENT_TYPES, MAX_BODY_BYTES, readIngestBody } from './ingest-body.ts';
import { createIngestService } from './ingest-service.ts';
import { ingestBodySchema, ingestExamples, ingestResponseSchema } from './ingest-schemas.ts';
import type { MeteringRuntime } from './metering-runtime.ts';
import type { UsageTickCounter } from '../realtime/usage-ticks.ts';
import type { Client as TemporalClient } from '@temporalio/client';
import { lateUsageArrivedSignal, subscriptionWorkflowId } from '../../workflows/contract.ts';
import { createLateUsageNotifier } from './late-usage-notifier.ts';

const DESCRIPTION = `Accepts usage events as CloudEvents 1.0 (structured, batch, or binary mode with ce-* headers and the data as the body) or plain JSON (one event, an array, or {events: [...]}).
Answers 202 only after ClickHouse committed every event of the request. Any invalid event refuses the whole request (400, every problem listed as {index, field, message}) and nothing is written.
The same (tenant, id) counts once in every usage read, however often it is posted: the first accepted delivery wins.
An event whose billing period ended more than its plan's lateUsageDays ago, for every subscription that could bill it, is stored but gets a "late_beyond_horizon" warning (with its index): it will not be billed.
Limits: 5 MiB and 10,000 events per request (413). A request is admitted or refused whole. While the ingest queue is more than half full, a tenant holding more than half of it gets 429 with Retry-After; every other tenant is admitted until the queue is full, then gets 503 with Retry-After. A refusal the queue can decide without the body comes before the body is read.`;

/** POST /api/usage/ingest and its alias POST /api/events: decode → validate → batch → 202. */
export function ingestRoutes(deps: {
  metering: MeteringRuntime;
  usageTicks?: UsageTickCounter | undefined;
  temporal?: TemporalClient;
}): RouteDef[] {
  const { metering: runtime, usageTicks: ticks, temporal } = deps;
  const notifyLateUsage = temporal
    ? createLateUsageNotifier((id) => temporal.workflow.getHandle(subscriptionWorkflowId(id)).signal(lateUsageArrivedSignal))
    : undefined;
  const ingest = createIngestService(runtime, { ticks, horizons: runtime.horizons, ...(notifyLateUsage ? { notifyLateUsage } : {}) });
  const route = (path: string, operationId: string, summary: string) =>
    defineRoute({
      method: 'post',
      path,
      operationId,
      tag: 'usage',
      summary,
      description: DESCRIPTION,
      access: { roles: ['admin'], apiKey: ['ingest'] },
      body: { raw: true, contentTypes: INGEST_CONTENT_TYPES, schema: ingestBodySchema, examples: ingestExamples },
      responses: {
        202: { description: 'Accepted and durable', schema: ingestResponseSchema },
        400: { description: 'Invalid event(s); nothing was written' },
        401: { description: 'No valid API key or session' },
        403: {
          description:
            'Not an admin, an API key without the ingest scope, or a subject of another tenant for this API key; nothing was written',
        },
        413: { description: 'Body over 5 MiB or more than 10,000 events' },
        415: { description: 'Unsupported Content-Type' },
        429: {
          description:
            'The ingest queue is more than half full and this tenant holds more than half of it; retry after Retry-After seconds. Nothing of the request was written',
        },
        503: {
          description:
            'Ingest queue full, server stopping or storage unavailable; retry after Retry-After seconds. Nothing of the request was written',
        },
      },
      handler: async ({ principal, ctx }) => {
        const type = mediaType(ctx);
        const binary = ctx.get('ce-specversion') !== '';
        if (!binary && !(INGEST_CONTENT_TYPES as readonly string[]).includes(type)) {
          throw new HttpProblem(415, `Content-Type must be one of ${INGEST_CONTENT_TYPES.join(', ')}`, {
            errors: [{ field: 'Content-Type', message: `expected ${INGEST_CONTENT_TYPES.join(' or ')}, got ${type || 'nothing'}` }],
          });
        }
        const readBody = async () => readIngestBody(type, ctx.headers, await readBodyText(ctx, MAX_BODY_BYTES));
        return { status: 202, body: await ingest(principal, readBody) };
      },
    });
  return [
    route('/usage/ingest', 'ingestUsage', 'Ingest usage events'),
    route('/events', 'ingestEvents', 'Ingest usage events (alias of /usage/ingest)'),
  ];
}
