import { lookup } from 'node:dns/promises';
import { Webhook } from 'standardwebhooks';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/client';
import type { ActivityDeps } from '../deps.ts';
import { withOperator, type Tx } from '../../db/postgres/tenant-scope.ts';
import { webhooksRepository } from '../../db/postgres/webhooks-repository.ts';
import type { WebhookEvent } from '../../domain/webhooks/events.ts';
import { recordWebhookEvent, webhookOutboxRepository } from '../../db/postgres/webhook-outbox.ts';
import { OPEN_DESTINATIONS, vetDestination } from '../../domain/webhooks/destination.ts';
import { postPinned } from './pinned-post.ts';

const DELIVERY_TIMEOUT_MS = 10_000;

export function createWebhookActivities({ pg, temporal, webhookDelivery, webhookDestinations }: ActivityDeps) {
  const policy = webhookDestinations ?? OPEN_DESTINATIONS;
  const resolve = webhookDestinations?.resolve ?? lookup;
  /** One delivery per subscribed endpoint of a recorded event, in the caller's transaction. */
  async function enqueueDeliveries(tx: Tx, eventId: string) {
    const row = await webhookOutboxRepository.find(tx, eventId);
    if (!row) return [];
    const endpoints = await webhooksRepository.subscribedTo(tx, row.event_type);
    return Promise.all(
      endpoints.map((e) =>
        webhooksRepository.enqueue(tx, {
          endpointId: e.id,
          eventId,
          eventType: row.event_type,
          tenantId: row.tenant_id,
          payload: row.payload,
        }),
      ),
    );
  }

  /**
   * A delivery workflow for each pending delivery, then the outbox row is marked dispatched. A
   * crash in between leaves it undispatched, and the next dispatch redoes the idempotent steps.
   */
  async function startDeliveries(eventId: string, deliveries: { id: string; status: string }[]): Promise<string[]> {
    for (const d of deliveries.filter((d) => d.status === 'pending')) {
      if (!temporal || !webhookDelivery)
        throw new Error(
          'dispatching webhooks needs a Temporal client and the delivery workflow in the activity dependencies (temporal, webhookDelivery)',
        );
      try {
        await temporal.workflow.start(webhookDelivery.workflowType, {
          taskQueue: webhookDelivery.taskQueue,
          workflowId: webhookDelivery.workflowId(d.id),
          args: [d.id],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    }
    await withOperator(pg, (tx) => webhookOutboxRepository.markDispatched(tx, eventId));
    return deliveries.map((d) => d.id);
  }

  const dispatch = async (eventId: string) => startDeliveries(eventId, await withOperator(pg, (tx) => enqueueDeliveries(tx, eventId)));

  return {
    /**
     * Records the event in the outbox (live on the dashboard the first time) and dispatches it
     * at once. Every step is idempotent (one outbox row per event id, one delivery per endpoint
     * and event, deterministic workflow ids), so a retried or replayed emit delivers once.
     */
    async emitWebhookEvent(event: WebhookEvent): Promise<string[]> {
      // Recording and enqueueing share one transaction. With no delivery to start (no endpoint
      // takes the event, or every one was started before), it is dispatched in it too: one
      // transaction instead of three, the common case of a close, which emits a few events.
      const deliveries = await withOperator(pg, async (tx) => {
        await recordWebhookEvent(tx, event);
        const enqueued = await enqueueDeliveries(tx, event.id);
        if (enqueued.every((d) => d.status !== 'pending')) await webhookOutboxRepository.markDispatched(tx, event.id);
        return enqueued;
      });
      if (deliveries.every((d) => d.status !== 'pending')) return deliveries.map((d) => d.id);
      return startDeliveries(event.id, deliveries);
    },

    /**
     * Dispatches what the outbox holds undispatched: events recorded in a transaction whose
     * writer could not dispatch them (no Temporal client at hand, or a crash after commit).
     * Returns how many events it dispatched.
     */
    async dispatchWebhookOutbox(limit = 100): Promise<number> {
      const rows = await withOperator(pg, (tx) => webhookOutboxRepository.undispatched(tx, limit));
      for (const row of rows) await dispatch(row.event_id);
      return rows.length;
    },

    /**
     * One signed POST. A non-2xx answer or a network error fails the attempt, to be retried.
     * The destination is checked on every attempt, after resolving its name, and the POST
     * connects to the checked addresses only; a refused destination fails the delivery for
     * good (retrying cannot help, and each try would probe the refused address again).
     */
    async deliverWebhook(deliveryId: string): Promise<{ statusCode: number; attempt: number }> {
      const d = await withOperator(pg, (tx) => webhooksRepository.findDelivery(tx, deliveryId));
      if (!d) throw ApplicationFailure.nonRetryable(`webhook delivery ${deliveryId} does not exist`);
      if (d.status === 'succeeded') return { statusCode: d.last_status_code ?? 200, attempt: d.attempts };
      if (d.endpoint_deleted) throw ApplicationFailure.nonRetryable('the endpoint was deleted');
      const body = JSON.stringify(d.payload);
      // The webhook-id stays the same across retries so receivers can deduplicate.
      const timestamp = new Date();
      const signature = new Webhook(d.secret).sign(d.id, timestamp, body);
      const started = performance.now();
      let statusCode: number | null = null;
      let error: string | null = null;
      let refused = false;
      try {
        const url = new URL(d.url);
        const destination = await vetDestination(url, policy, resolve);
        if (!destination.ok) {
          refused = true;
          error = `destination refused: ${destination.reason}`;
        } else {
          const headers = {
            'content-type': 'application/json',
            'user-agent': 'Meterplane-Webhooks/1',
            'webhook-id': d.id,
            'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
            'webhook-signature': signature,
          };
          statusCode = await postPinned(url, destination.addresses, headers, body, DELIVERY_TIMEOUT_MS);
          if (statusCode < 200 || statusCode >= 300) error = `the endpoint answered ${statusCode}`;
        }
      } catch (err) {
        error = (err as Error).message;
      }
      const durationMs = Math.round(performance.now() - started);
      const attempt = await withOperator(pg, (tx) =>
        webhooksRepository.recordAttempt(tx, { deliveryId, statusCode, error, durationMs, succeeded: error === null }),
      );
      if (refused) throw ApplicationFailure.nonRetryable(error!, 'WebhookDestinationRefused');
      if (error !== null) throw ApplicationFailure.retryable(error, 'WebhookDeliveryFailed');
      return { statusCode: statusCode!, attempt };
    },

    async markWebhookDeliveryFailed(deliveryId: string): Promise<void> {
      await withOperator(pg, (tx) => webhooksRepository.markFailed(tx, deliveryId));
    },
  };
}
