import { ActivityFailure, isCancellation, log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.ts';
import type { CheckBudgetPageInput, CheckBudgetsResult } from '../../activities/alerts/index.ts';
import type { AnomalyScanInput, AnomalyScanResult } from '../contract.ts';
import { alertCreatedEvent } from '../../domain/webhooks/events.ts';
import { mapBounded } from '../../domain/concurrency/index.ts';
import { mergeCheckResults } from '../../domain/anomaly/check-summary.ts';

const { scanUsageAnomalies, checkBudgets, budgetPages, budgetPageRanges, emitWebhookEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 3 },
});

/**
 * A page of budget checks (up to 200 tenants) is a few batched usage reads and a few hundred
 * short PostgreSQL queries: seconds, not minutes. It heartbeats after each read and each tenant,
 * so a worker that died mid-page is noticed after 30 s, not after the 2-minute timeout.
 */
const { checkBudgetPage } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 3 },
});

/**
 * Patch: the budget checks fan out, a page of tenants per activity, PAGES_AT_ONCE pages at a
 * time, instead of every tenant in one 2-minute activity, and the alert.created webhooks go out
 * WEBHOOKS_AT_ONCE at a time instead of one after another (when every tenant crosses a level in
 * the same run, 2,000 webhook calls in a row outlast the 5-minute interval). Runs started before
 * it (and their replays) take the single checkBudgets activity and the sequential webhooks.
 */
const BUDGET_CHECKS_IN_PAGES = 'budget-checks-in-pages';
/**
 * Patch: the anomaly scan and each budget page send their own alerts' alert.created webhooks and
 * list only the first MAX_LISTED_RAISED alerts with a count of all, so the workflow's payloads
 * stay small however many tenants cross a level at once (listing 1,900 budget alerts made the
 * result 1.1 MB, and 2 MB is the most a Temporal payload may be). Runs started before it (and
 * their replays) send the webhooks from the workflow, one activity per alert.
 */
const ALERT_WEBHOOKS_FROM_CHECKS = 'alert-webhooks-from-checks';
/**
 * Patch: the pages are key ranges (budgetPageRanges), not lists of tenant ids, so the workflow's
 * payloads do not grow with the tenants: every tenant's id passed through budgetPages' result
 * (76 KB at 2,000 tenants; a payload may hold 2 MB, so about 50,000 tenants would have failed the
 * scan). Runs started before it (and their replays) keep the lists.
 */
const BUDGET_PAGES_BY_RANGE = 'budget-pages-by-range';
const PAGES_AT_ONCE = 4;
const WEBHOOKS_AT_ONCE = 8;

/**
 * Every page's check, merged into one result. A page that still fails after its retries (its
 * shared reads failed three times) reports each of its tenants as failed and the other pages'
 * tenants are still checked.
 */
async function checkBudgetsInPages(at: string, sendWebhooks: boolean): Promise<CheckBudgetsResult> {
  const webhooks = sendWebhooks ? { sendWebhooks } : {};
  if (patched(BUDGET_PAGES_BY_RANGE)) {
    const { ranges } = await budgetPageRanges({ at });
    const results = await mapBounded(ranges, PAGES_AT_ONCE, ({ from, to, tenants, firstTenantId }) =>
      checkPage({ at, range: { from, to }, ...webhooks }, tenants, (error) => [
        { tenantId: firstTenantId, error: `${error} (the page of ${tenants} tenants from this one)` },
      ]),
    );
    return mergeCheckResults(results);
  }
  const { pages } = await budgetPages({ at });
  const results = await mapBounded(pages, PAGES_AT_ONCE, (tenantIds) =>
    checkPage({ at, tenantIds, ...webhooks }, tenantIds.length, (error) => tenantIds.map((tenantId) => ({ tenantId, error }))),
  );
  return mergeCheckResults(results);
}

/** One page's check; a page that still fails after its retries reports each of its tenants as failed. */
async function checkPage(
  input: CheckBudgetPageInput,
  tenants: number,
  failuresOf: (error: string) => CheckBudgetsResult['failures'],
): Promise<CheckBudgetsResult> {
  try {
    return await checkBudgetPage(input);
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
    const error = `the page of budget checks failed: ${cause instanceof Error ? cause.message : String(cause)}`.slice(0, 500);
    log.error('budget_check: a page failed; the other pages proceed', { tenants, error });
    return { tenants, raised: [], failed: tenants, failures: failuresOf(error) };
  }
}

/**
 * One run of the `anomaly-scan` Temporal Schedule (every 5 min, overlap Skip): usage spikes and
 * drops across all tenants in one query, then budget thresholds. Both are idempotent (alerts
 * are deduplicated), so a retried or re-run scan for the same instant raises nothing new.
 * New alerts are pushed live by the activities (NOTIFY on commit) and sent as the webhook
 * alert.created here. The instant defaults to the run's start, which the schedule sets to the
 * scheduled time, so a run that waited for a worker still scans the window it was scheduled for.
 */
export async function anomalyScanWorkflow(input: AnomalyScanInput = {}): Promise<AnomalyScanResult> {
  const at = input.at ?? workflowInfo().runStartTime.toISOString();
  const sendWebhooks = patched(ALERT_WEBHOOKS_FROM_CHECKS);
  const anomalies = await scanUsageAnomalies({
    at,
    ...(input.settings ? { settings: input.settings } : {}),
    ...(sendWebhooks ? { sendWebhooks } : {}),
  });
  const inPages = patched(BUDGET_CHECKS_IN_PAGES);
  // A run with the new patch always has the pages' patch too: both markers are written in order.
  const budgets = inPages ? await checkBudgetsInPages(at, sendWebhooks) : await checkBudgets({ at });
  if (sendWebhooks && inPages) return { at, anomalies, budgets };
  // Each new alert is also the webhook alert.created.
  const raised = [...anomalies.raised, ...budgets.raised];
  if (inPages) {
    await mapBounded(raised, WEBHOOKS_AT_ONCE, (alert) => emitWebhookEvent(alertCreatedEvent(alert)));
  } else {
    for (const alert of raised) await emitWebhookEvent(alertCreatedEvent(alert));
  }
  return { at, anomalies, budgets };
}
