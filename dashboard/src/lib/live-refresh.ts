import { invalidate } from '$app/navigation';
import { debounce } from './debounce.ts';

// One debouncer per dependency key, shared by every component of the tab: the usage cards and
// the tenant page both refresh `app:usage`, and a burst of events refreshes it once.
const refreshers = new Map<string, ReturnType<typeof debounce>>();

/**
 * Re-runs the loads that depend on `key` soon: once per burst of live events (2 s of quiet,
 * at most 5 s after the first), not once per event. Each refresh re-runs a page's API calls.
 */
export function refreshSoon(key: string): void {
  let d = refreshers.get(key);
  if (!d) refreshers.set(key, (d = debounce(() => void invalidate(key), { waitMs: 2000, maxWaitMs: 5000 })));
  d.schedule();
}
