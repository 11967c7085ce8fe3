import type { ActivityDeps } from '../deps.ts';
import { heartbeat } from '../heartbeat.ts';
import { createWebhookActivities } from '../webhooks/webhook-activities.ts';
import { alertCreatedEvent } from '../../domain/webhooks/events.ts';
import { mapBounded } from '../../domain/concurrency/index.ts';
import { listRaised } from '../../domain/anomaly/index.ts';

const WEBHOOKS_AT_ONCE = 8;

type Raised = Parameters<typeof alertCreatedEvent>[0];

/**
 * Sends alert.created for each alert a check raised, from the check's own activity, and lists
 * the first few in its result (see listRaised). The workflow then carries counts, not every
 * alert. Each alert's event is already in the outbox, written with the alert, so this only
 * dispatches it: a retry, or a crash before this ran, leaves the event for the outbox sweep,
 * never a lost or a second webhook.
 */
export async function sendRaisedAlerts<A extends Raised, R extends { raised: A[] }>(
  deps: ActivityDeps,
  result: R,
): Promise<R & { raisedCount: number }> {
  const { emitWebhookEvent } = createWebhookActivities(deps);
  await mapBounded(result.raised, WEBHOOKS_AT_ONCE, async (alert) => {
    await emitWebhookEvent(alertCreatedEvent(alert));
    heartbeat();
  });
  return { ...result, ...listRaised(result.raised) };
}
