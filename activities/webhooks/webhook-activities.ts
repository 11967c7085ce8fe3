import { lookup } from 'node:dns/promises';
import { Webhook } from 'standardwebhooks';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/client';
import type { ActivityDeps } from '../deps.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { webhooksRepository } from '../../db/postgres/webhooks-repository.ts';
import { webhookPayload, type WebhookEvent } from '../../domain/webhooks/events.ts';
import { OPEN_DESTINATIONS, vetDestination } from '../../domain/webhooks/destination.ts';
import { postPinned } from './pinned-post.ts';

const DELIVERY_TIMEOUT_MS = 10_000;
export const WEBHOOK_DELIVERY_WORKFLOW = 'webhookDeliveryWorkflow';
export const deliveryWorkflowId = (deliveryId: string) => `webhook-${deliveryId}`;

export function createWebhookActivities({ pg, temporal, taskQueue, webhookDestinations }: ActivityDeps) {
  const policy = webhookDestinations ?? OPEN_DESTINATIONS;
  const resolve = webhookDestinations?.resolve ?? lookup;
  return {
    /**
     * Records one delivery per subscribed endpoint and starts a delivery workflow for each.
     * Both steps are idempotent (unique delivery per endpoint and event; deterministic
     * workflow id), so a retried or replayed emit delivers once.
     */
    async emitWebhookEvent(event: WebhookEvent): Promise<string[]> {
      const deliveries = await withOperator(pg, async (tx) => {
        const endpoints = await webhooksRepository.subscribedTo(tx, event.type);
        return Promise.all(
          endpoints.map((e) => webhooksRepository.enqueue(tx, { endpointId: e.id, eventId: event.id, eventType: event.type, tenantId: event.tenantId, payload: webhookPayload(event) })),
        );
      });
      for (const d of deliveries.filter((d) => d.status === 'pending')) {
        if (!temporal) throw new Error('emitWebhookEvent needs a Temporal client in the activity dependencies');
        try {
          await temporal.workflow.start(WEBHOOK_DELIVERY_WORKFLOW, { taskQueue: taskQueue ?? 'billing', workflowId: deliveryWorkflowId(d.id), args: [d.id], workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      return deliveries.map((d) => d.id);
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
      const attempt = await withOperator(pg, (tx) => webhooksRepository.recordAttempt(tx, { deliveryId, statusCode, error, durationMs, succeeded: error === null }));
      if (refused) throw ApplicationFailure.nonRetryable(error!, 'WebhookDestinationRefused');
      if (error !== null) throw ApplicationFailure.retryable(error, 'WebhookDeliveryFailed');
      return { statusCode: statusCode!, attempt };
    },

    async markWebhookDeliveryFailed(deliveryId: string): Promise<void> {
      await withOperator(pg, (tx) => webhooksRepository.markFailed(tx, deliveryId));
    },
  };
}
