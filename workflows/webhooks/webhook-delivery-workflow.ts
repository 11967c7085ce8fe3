import { proxyActivities, ActivityFailure } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.ts';
import { DELIVERY_RETRY } from '../../domain/webhooks/events.ts';

const { deliverWebhook } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // Temporal owns the retry schedule: a failed receiver is retried with backoff for 24 h.
  scheduleToCloseTimeout: DELIVERY_RETRY.giveUpAfter,
  retry: {
    initialInterval: DELIVERY_RETRY.initialInterval,
    backoffCoefficient: DELIVERY_RETRY.backoffCoefficient,
    maximumInterval: DELIVERY_RETRY.maximumInterval,
  },
});
const { markWebhookDeliveryFailed } = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds' });

/** Delivers one webhook (ID `webhook-<deliveryId>`), retrying until success or 24 h. */
export async function webhookDeliveryWorkflow(deliveryId: string): Promise<'succeeded' | 'failed'> {
  try {
    await deliverWebhook(deliveryId);
    return 'succeeded';
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    await markWebhookDeliveryFailed(deliveryId);
    return 'failed';
  }
}
