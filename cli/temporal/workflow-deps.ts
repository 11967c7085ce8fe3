import type { ActivityDeps } from '../../activities/deps.ts';
import { TASK_QUEUE, WEBHOOK_DELIVERY_WORKFLOW, webhookDeliveryWorkflowId } from '../../workflows/contract.ts';

/**
 * The activities' dependencies with what they need from the workflows' contract: the
 * webhook-delivery workflow they start. Activities may not import workflows/, so the worker
 * and the outbox sweep hand it in; a caller that passes its own keeps it.
 */
export function withWorkflowContract<D extends ActivityDeps>(deps: D): D {
  return {
    ...deps,
    webhookDelivery: deps.webhookDelivery ?? {
      workflowType: WEBHOOK_DELIVERY_WORKFLOW,
      workflowId: webhookDeliveryWorkflowId,
      taskQueue: deps.taskQueue ?? TASK_QUEUE,
    },
  };
}
