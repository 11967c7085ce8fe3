import type { ActivityDeps } from './deps.ts';
import { createSelfCheckActivities } from './self-check.ts';
import { createWebhookActivities } from './webhooks/webhook-activities.ts';

/** Builds every activity the worker registers, closed over their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSelfCheckActivities(deps),
    ...createWebhookActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.ts';
