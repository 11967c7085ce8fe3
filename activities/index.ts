import type { ActivityDeps } from './deps.ts';
import { createSelfCheckActivities } from './self-check.ts';

/** Builds every activity the worker registers, closed over their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSelfCheckActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.ts';
