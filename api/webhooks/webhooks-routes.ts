import { z } from 'zod';
import { defineRoute, type RouteDef } from '../http/route.ts';
import { integerText } from '../http/integer-schemas.ts';
import { MAX_PAGE_SIZE } from '../http/pagination.ts';
import type { EndpointRow, DeliveryRow, AttemptRow } from '../../db/postgres/webhooks-repository.ts';
import { WEBHOOK_EVENT_TYPES } from '../../domain/webhooks/events.ts';
import { createWebhooksService, type WebhooksDeps } from './webhooks-service.ts';

const eventName = z.enum([...WEBHOOK_EVENT_TYPES, '*']);
const createBody = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000),
  events: z
    .array(eventName)
    .min(1)
    .max(WEBHOOK_EVENT_TYPES.length + 1)
    .describe('event types, or "*" for all'),
});

const endpointSchema = z
  .object({ id: z.uuid(), url: z.string(), events: z.array(z.string()), createdAt: z.iso.datetime() })
  .meta({ id: 'WebhookEndpoint' });
const createdSchema = endpointSchema
  .extend({ secret: z.string().describe('Standard Webhooks signing secret (whsec_…): shown once') })
  .meta({ id: 'CreatedWebhookEndpoint' });
const attemptSchema = z.object({
  attempt: z.number().int(),
  at: z.iso.datetime(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int(),
});
const deliverySchema = z
  .object({
    id: z.uuid(),
    eventId: z.string(),
    eventType: z.string(),
    tenantId: z.uuid().nullable(),
    status: z.enum(['pending', 'succeeded', 'failed']),
    attempts: z.array(attemptSchema),
    deliveredAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'WebhookDelivery' });

const toEndpoint = (e: EndpointRow) => ({ id: e.id, url: e.url, events: e.events, createdAt: e.created_at.toISOString() });
const toDelivery = (d: DeliveryRow, attempts: readonly AttemptRow[]) => ({
  id: d.id,
  eventId: d.event_id,
  eventType: d.event_type,
  tenantId: d.tenant_id,
  status: d.status,
  attempts: attempts.map((a) => ({
    attempt: a.attempt,
    at: a.at.toISOString(),
    statusCode: a.status_code,
    error: a.error,
    durationMs: a.duration_ms,
  })),
  deliveredAt: d.delivered_at?.toISOString() ?? null,
  createdAt: d.created_at.toISOString(),
});

const idParams = z.strictObject({ id: z.uuid() });
const admin = { roles: ['admin'] } as const;

export function webhooksRoutes(deps: WebhooksDeps): RouteDef[] {
  const service = createWebhooksService(deps);
  return [
    defineRoute({
      method: 'post',
      path: '/webhooks',
      operationId: 'createWebhookEndpoint',
      tag: 'webhooks',
      access: admin,
      summary: 'Subscribe a URL to events; deliveries are signed per Standard Webhooks',
      body: { schema: createBody },
      description:
        'Where private destinations are refused (WEBHOOK_ALLOW_PRIVATE=false, the production default), a URL whose host is, or resolves to, a loopback, private, link-local or other non-public address is refused with 400, and so is plain http in production.',
      responses: {
        201: { description: 'Created; store the secret now', schema: createdSchema },
        400: { description: 'Invalid input, or a destination that is not allowed (names `url`)' },
      },
      handler: async ({ body }) => {
        const { endpoint, secret } = await service.create(body);
        return { status: 201, body: { ...toEndpoint(endpoint), secret }, headers: { Location: `/api/webhooks/${endpoint.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/webhooks',
      operationId: 'listWebhookEndpoints',
      tag: 'webhooks',
      access: admin,
      summary: 'Webhook endpoints (without secrets)',
      responses: { 200: { description: 'Endpoints', schema: z.object({ items: z.array(endpointSchema) }) } },
      handler: async () => ({ status: 200, body: { items: (await service.list()).map(toEndpoint) } }),
    }),
    defineRoute({
      method: 'get',
      path: '/webhooks/:id',
      operationId: 'getWebhookEndpoint',
      tag: 'webhooks',
      access: admin,
      summary: 'One webhook endpoint',
      params: idParams,
      responses: { 200: { description: 'The endpoint', schema: endpointSchema }, 404: { description: 'No such endpoint' } },
      handler: async ({ params }) => ({ status: 200, body: toEndpoint(await service.get(params.id)) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/webhooks/:id',
      operationId: 'deleteWebhookEndpoint',
      tag: 'webhooks',
      access: admin,
      summary: 'Stop sending to an endpoint (pending retries stop too)',
      params: idParams,
      responses: { 204: { description: 'Deleted' }, 404: { description: 'No such endpoint' } },
      handler: async ({ params }) => {
        await service.delete(params.id);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/webhooks/:id/deliveries',
      operationId: 'listWebhookDeliveries',
      tag: 'webhooks',
      access: admin,
      summary: 'Recent deliveries to an endpoint, with every attempt',
      params: idParams,
      query: z.strictObject({ limit: integerText(1, MAX_PAGE_SIZE).default(50) }),
      responses: {
        200: { description: 'Deliveries, newest first', schema: z.object({ items: z.array(deliverySchema) }) },
        404: { description: 'No such endpoint' },
      },
      handler: async ({ params, query }) => {
        const items = await service.deliveries(params.id, query.limit);
        return { status: 200, body: { items: items.map(({ delivery, attempts }) => toDelivery(delivery, attempts)) } };
      },
    }),
  ];
}
