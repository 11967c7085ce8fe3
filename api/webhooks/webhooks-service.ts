import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import type { DatabasePool } from 'slonik';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { webhooksRepository, type AttemptRow, type DeliveryRow, type EndpointRow } from '../../db/postgres/webhooks-repository.ts';
import { OPEN_DESTINATIONS, urlRefusal, vetDestination, type DestinationPolicy, type Resolve } from '../../domain/webhooks/destination.ts';
import { badRequest, notFound } from '../http/problem.ts';

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

/** Webhook endpoints (operator-owned) and their deliveries. */
export function createWebhooksService(deps: WebhooksDeps) {
  const { pg } = deps;
  const policy = deps.webhookDestinations ?? OPEN_DESTINATIONS;
  const resolve = deps.webhookDestinations?.resolve ?? lookup;
  return {
    /** The endpoint with its signing secret, which is shown only here. */
    async create(input: { url: string; events: readonly string[] }): Promise<{ endpoint: EndpointRow; secret: string }> {
      await checkDestination(new URL(input.url), policy, resolve);
      const secret = `whsec_${randomBytes(32).toString('base64')}`;
      const endpoint = await withOperator(pg, (tx) =>
        webhooksRepository.insertEndpoint(tx, { url: input.url, events: [...new Set(input.events)], secret }),
      );
      return { endpoint, secret };
    },

    list: (): Promise<readonly EndpointRow[]> => withOperator(pg, (tx) => webhooksRepository.listEndpoints(tx)),

    async get(id: string): Promise<EndpointRow> {
      const row = await withOperator(pg, (tx) => webhooksRepository.findEndpoint(tx, id));
      if (!row) throw notFound('webhook endpoint');
      return row;
    },

    async delete(id: string): Promise<void> {
      const row = await withOperator(pg, (tx) => webhooksRepository.deleteEndpoint(tx, id));
      if (!row) throw notFound('webhook endpoint');
    },

    /** The newest deliveries to an endpoint, each with its attempts. */
    async deliveries(id: string, limit: number): Promise<{ delivery: DeliveryRow; attempts: AttemptRow[] }[]> {
      const result = await withOperator(pg, async (tx) => {
        if (!(await webhooksRepository.findEndpoint(tx, id))) return null;
        const deliveries = await webhooksRepository.listDeliveries(tx, id, limit);
        const attempts = await webhooksRepository.attemptsOf(
          tx,
          deliveries.map((d) => d.id),
        );
        return deliveries.map((delivery) => ({ delivery, attempts: attempts.filter((a) => a.delivery_id === delivery.id) }));
      });
      if (!result) throw notFound('webhook endpoint');
      return result;
    },
  };
}
