import { asyncLocalStorage } from '@temporalio/activity';

/**
 * Tells Temporal the running activity is alive (for a heartbeat timeout), and does nothing when
 * called outside an activity (a test that calls the function directly). Heartbeats are throttled
 * by the SDK, so calling this after every read is cheap.
 */
export function heartbeat(details?: unknown): void {
  asyncLocalStorage.getStore()?.heartbeat(details);
}
