/**
 * One part of an alert check that failed: a (tenant, event type) of the anomaly scan, or a
 * (tenant, meter) of the budget checks (no meter: the tenant's estimate as a whole).
 */
export type AlertCheckFailure = { tenantId: string; eventType?: string; meter?: string; error: string };

/** What an alert check reports of its failed parts: how many, and the first few. */
export type FailureSummary = { failed: number; failures: AlertCheckFailure[] };

/** A result lists at most this many failures (a result must stay small); `failed` counts them all. */
export const MAX_LISTED_FAILURES = 20;

/**
 * A check that sends its own alerts' webhooks lists at most this many of the alerts it raised,
 * and counts them all in `raisedCount`: a result is a Temporal payload, and 1,900 budget alerts
 * listed in full made 1.1 MB of the 2 MB a payload may hold.
 */
export const MAX_LISTED_RAISED = 100;

/** Raised alerts as a bounded result lists them: the first MAX_LISTED_RAISED, and the count of all. */
export function listRaised<A>(raised: readonly A[]): { raised: A[]; raisedCount: number } {
  return { raised: raised.slice(0, MAX_LISTED_RAISED), raisedCount: raised.length };
}

/**
 * The results of a check's pages as one: counts add up, lists keep the pages' order, and the
 * failures listed stay the first MAX_LISTED_FAILURES. Pages that count their alerts
 * (`raisedCount`, see listRaised) merge into a result that lists at most MAX_LISTED_RAISED;
 * pages that list every alert, as the runs before that change do, merge into the full list.
 */
export function mergeCheckResults<R extends FailureSummary & { tenants: number; raised: readonly unknown[]; raisedCount?: number }>(
  parts: readonly R[],
): FailureSummary & { tenants: number; raised: R['raised'][number][]; raisedCount?: number } {
  const raised = parts.flatMap((p) => [...p.raised]);
  const counted = parts.some((p) => p.raisedCount !== undefined);
  return {
    tenants: parts.reduce((n, p) => n + p.tenants, 0),
    ...(counted
      ? { raised: raised.slice(0, MAX_LISTED_RAISED), raisedCount: parts.reduce((n, p) => n + (p.raisedCount ?? p.raised.length), 0) }
      : { raised }),
    failed: parts.reduce((n, p) => n + p.failed, 0),
    failures: parts.flatMap((p) => p.failures).slice(0, MAX_LISTED_FAILURES),
  };
}
