import type { Logger } from 'pino';
import type { ActivityDeps } from '../../activities/deps.ts';
import { createWebhookActivities } from '../../activities/webhooks/webhook-activities.ts';
import { withWorkflowContract } from './workflow-deps.ts';
import { startPendingSubscriptionWorkflows } from '../../api/subscriptions/workflow-start.ts';

export const OUTBOX_SWEEP_MS = 5_000;

/**
 * Every few seconds, and once at start: dispatches the webhook outbox (events recorded by a
 * writer that does not dispatch them itself, such as the API voiding an invoice or an alert
 * whose raising activity was retried, or whose dispatch was cut short), and starts the
 * workflow of any committed subscription that has none yet. Every worker may run it: both
 * are idempotent.
 */
export function startOutboxSweep(
  deps: ActivityDeps & { temporal: NonNullable<ActivityDeps['temporal']> },
  logger: Logger,
  everyMs = OUTBOX_SWEEP_MS,
): () => Promise<void> {
  const { dispatchWebhookOutbox } = createWebhookActivities(withWorkflowContract(deps));
  const sweep = async () => {
    try {
      const events = await dispatchWebhookOutbox();
      if (events > 0) logger.debug({ events }, 'webhook outbox dispatched');
      const starts = await startPendingSubscriptionWorkflows(deps);
      if (starts.started > 0 || starts.failed > 0) logger.info(starts, 'started subscription workflows missing after commit');
    } catch (err) {
      logger.warn({ err }, 'outbox sweep failed; the next one retries');
    }
  };
  let running: Promise<void> = sweep();
  const timer = setInterval(() => {
    running = running.then(sweep);
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
