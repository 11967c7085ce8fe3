import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { z } from 'zod';
import type { DatabasePool } from 'slonik';
import { defineRoute, type RouteDef } from '../http/route.ts';
import { badRequest, notFound } from '../http/problem.ts';
import { integerText } from '../http/integer-schemas.ts';
import { MAX_PAGE_SIZE } from '../http/pagination.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { webhooksRepository, type EndpointRow, type DeliveryRow, type AttemptRow } from '../../db/postgres/webhooks-repository.ts';
import { WEBHOOK_EVENT_TYPES } from '../../domain/webhooks/events.ts';
import { OPEN_DESTINATIONS, urlRefusal, vetDestination, type DestinationPolicy, type Resolve } from '../../domain/webhooks/destination.ts';

const eventName = z.enum([...WEBHOOK_EVENT_TYPES, '*']);
const createBody = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000),
  events: z.array(eventName).min(1).max(WEBHOOK_EVENT_TYPES.length + 1).describe('event types, or "*" for all'),
});

const endpointSchema = z.object({ id: z.uuid(), url: z.string(), events: z.array(z.string()), createdAt: z.iso.datetime() }).meta({ id: 'WebhookEndpoint' });
const createdSchema = endpointSchema.extend({ secret: z.string().describe('Standard Webhooks signing secret (whsec_…): shown once') }).meta({ id: 'CreatedWebhookEndpoint' });
const attemptSchema = z.object({ attempt: z.number().int(), at: z.iso.datetime(), statusCode: z.number().int().nullable(), error: z.string().nullable(), durationMs: z.number().int() });
const deliverySchema = z
  .object({
    id: z.uuid(), eventId: z.string(), eventType: z.string(), tenantId: z.uuid().nullable(),
    status: z.enum(['pending', 'succeeded', 'failed']), attempts: z.array(attemptSchema),
    deliveredAt: z.iso.datetime().nullable(), createdAt: z.iso.datetime(),
  })
  .meta({ id: 'WebhookDelivery' });

const toEndpoint = (e: EndpointRow) => ({ id: e.id, url: e.url, events: e.events, createdAt: e.created_at.toISOString() });
const toDelivery = (d: DeliveryRow, attempts: readonly AttemptRow[]) => ({
  id: d.id, eventId: d.event_id, eventType: d.event_type, tenantId: d.tenant_id, status: d.status,
  attempts: attempts.map((a) => ({ attempt: a.attempt, at: a.at.toISOString(), statusCode: a.status_code, error: a.error, durationMs: a.duration_ms })),
  deliveredAt: d.delivered_at?.toISOString() ?? null, createdAt: d.created_at.toISOString(),
});

const idParams = z.strictObject({ id: z.uuid() });
const admin = { roles: ['admin'] } as const;

export type WebhooksDeps = { pg: DatabasePool; webhookDestinations?: (DestinationPolicy & { resolve?: Resolve }) | undefined };

/**
 * Refuses (400 naming `url`) a destination the policy does not allow. Where private
 * addresses are refused, the host name is resolved now too, for an early answer; every
 * delivery checks again, since DNS answers can change.
 */
async function checkDestination(url: URL, policy: DestinationPolicy, resolve: Resolve): Promise<void> {
  const refused = urlRefusal(url, policy);
  if (refused) throw badRequest('url', refused);
  if (policy.allowPrivate) return;
  const vetted = await vetDestination(url, policy, resolve).catch((err: NodeJS.ErrnoException) => {
    throw badRequest('url', `the host name ${url.hostname} could not be resolved (${err.code ?? err.message})`);
  });
  if (!vetted.ok) throw badRequest('url', vetted.reason);
}

export function webhooksRoutes(deps: WebhooksDeps): RouteDef[] {
  const policy = deps.webhookDestinations ?? OPEN_DESTINATIONS;
  const resolve = deps.webhookDestinations?.resolve ?? lookup;
  return [
    defineRoute({
      method: 'post', path: '/webhooks', operationId: 'createWebhookEndpoint', tag: 'webhooks', access: admin,
      summary: 'Subscribe a URL to events; deliveries are signed per Standard Webhooks',
      body: { schema: createBody },
      description: 'Where private destinations are refused (WEBHOOK_ALLOW_PRIVATE=false, the production default), a URL whose host is, or resolves to, a loopback, private, link-local or other non-public address is refused with 400, and so is plain http in production.',
      responses: { 201: { description: 'Created; store the secret now', schema: createdSchema }, 400: { description: 'Invalid input, or a destination that is not allowed (names `url`)' } },
      handler: async ({ body }) => {
        await checkDestination(new URL(body.url), policy, resolve);
        const secret = `whsec_${randomBytes(32).toString('base64')}`;
        const row = await withOperator(deps.pg, (tx) => webhooksRepository.insertEndpoint(tx, { url: body.url, events: [...new Set(body.events)], secret }));
        return { status: 201, body: { ...toEndpoint(row), secret }, headers: { Location: `/api/webhooks/${row.id}` } };
      },
    }),
    defineRoute({
      method: 'get', path: '/webhooks', operationId: 'listWebhookEndpoints', tag: 'webhooks', access: admin,
      summary: 'Webhook endpoints (without secrets)',
      responses: { 200: { description: 'Endpoints', schema: z.object({ items: z.array(endpointSchema) }) } },
      handler: async () => ({ status: 200, body: { items: (await withOperator(deps.pg, (tx) => webhooksRepository.listEndpoints(tx))).map(toEndpoint) } }),
    }),
    defineRoute({
      method: 'get', path: '/webhooks/:id', operationId: 'getWebhookEndpoint', tag: 'webhooks', access: admin,
      summary: 'One webhook endpoint', params: idParams,
      responses: { 200: { description: 'The endpoint', schema: endpointSchema }, 404: { description: 'No such endpoint' } },
      handler: async ({ params }) => {
        const row = await withOperator(deps.pg, (tx) => webhooksRepository.findEndpoint(tx, params.id));
        if (!row) throw notFound('webhook endpoint');
        return { status: 200, body: toEndpoint(row) };
      },
    }),
    defineRoute({
      method: 'delete', path: '/webhooks/:id', operationId: 'deleteWebhookEndpoint', tag: 'webhooks', access: admin,
      summary: 'Stop sending to an endpoint (pending retries stop too)', params: idParams,
      responses: { 204: { description: 'Deleted' }, 404: { description: 'No such endpoint' } },
      handler: async ({ params }) => {
        const row = await withOperator(deps.pg, (tx) => webhooksRepository.deleteEndpoint(tx, params.id));
        if (!row) throw notFound('webhook endpoint');
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get', path: '/webhooks/:id/deliveries', operationId: 'listWebhookDeliveries', tag: 'webhooks', access: admin,
      summary: 'Recent deliveries to an endpoint, with every attempt', params: idParams,
      query: z.strictObject({ limit: integerText(1, MAX_PAGE_SIZE).default(50) }),
      responses: { 200: { description: 'Deliveries, newest first', schema: z.object({ items: z.array(deliverySchema) }) }, 404: { description: 'No such endpoint' } },
      handler: async ({ params, query }) => {
        const result = await withOperator(deps.pg, async (tx) => {
          if (!(await webhooksRepository.findEndpoint(tx, params.id))) return null;
          const deliveries = await webhooksRepository.listDeliveries(tx, params.id, query.limit);
          const attempts = await webhooksRepository.attemptsOf(tx, deliveries.map((d) => d.id));
          return deliveries.map((d) => toDelivery(d, attempts.filter((a) => a.delivery_id === d.id)));
        });
        if (!result) throw notFound('webhook endpoint');
        return { status: 200, body: { items: result } };
      },
    }),
  ];
}
