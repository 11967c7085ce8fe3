/**
 * Tells canceled subscriptions' workflows that late events they can still bill have arrived
 * (signal lateUsageArrived), so they bill them after their grace rather than at their next
 * periodic check. At most one signal per subscription every `minIntervalMs` from this process:
 * a burst of requests becomes one signal now and one at the end of the interval (for what arrived
 * meanwhile). Best effort: a lost signal only delays the bill to the workflow's next check.
 */
export type LateUsageNotifier = (subscriptionIds: readonly string[]) => void;

export function createLateUsageNotifier(
  signal: (subscriptionId: string) => Promise<void>,
  o: { minIntervalMs?: number; now?: () => number } = {},
): LateUsageNotifier {
  const minIntervalMs = o.minIntervalMs ?? 5_000;
  const now = o.now ?? Date.now;
  const last = new Map<string, number>();
  const trailing = new Set<string>();
  const send = (id: string) => {
    last.set(id, now());
    signal(id).catch(() => {});
  };
  return (ids) => {
    for (const id of new Set(ids)) {
      const wait = (last.get(id) ?? -Infinity) + minIntervalMs - now();
      if (wait <= 0) {
        if (last.size > 10_000) last.clear();
        send(id);
      } else if (!trailing.has(id)) {
        trailing.add(id);
        setTimeout(() => {
          trailing.delete(id);
          send(id);
        }, wait).unref();
      }
    }
  };
}
