import { asyncLocalStorage } from '@temporalio/activity';

/**
 * Tells Temporal the running activity is alive (for a heartbeat timeout). Does nothing when
 * called outside an activity (a test that calls the function directly), nor in a local activity:
 * those run inside the workflow task and cannot heartbeat (the core would only log a warning per
 * call). Heartbeats are throttled by the SDK, so calling this after every read is cheap.
 */
export function heartbeat(details?: unknown): void {
  const context = asyncLocalStorage.getStore();
  if (context && !context.info.isLocal) context.heartbeat(details);
}
