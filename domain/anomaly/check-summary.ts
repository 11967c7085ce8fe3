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
 * The results of a check's pages as one: counts add up, lists keep the pages' order, and the
 * failures listed stay the first MAX_LISTED_FAILURES.
 */
export function mergeCheckResults<R extends FailureSummary & { tenants: number; raised: readonly unknown[] }>(
  parts: readonly R[],
): FailureSummary & { tenants: number; raised: R['raised'][number][] } {
  return {
    tenants: parts.reduce((n, p) => n + p.tenants, 0),
    raised: parts.flatMap((p) => [...p.raised]),
    failed: parts.reduce((n, p) => n + p.failed, 0),
    failures: parts.flatMap((p) => p.failures).slice(0, MAX_LISTED_FAILURES),
  };
}
