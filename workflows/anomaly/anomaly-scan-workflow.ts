import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.ts';
import type { AnomalyScanInput, AnomalyScanResult } from './contract.ts';
import { alertCreatedEvent } from '../../domain/webhooks/events.ts';

const { scanUsageAnomalies, checkBudgets, emitWebhookEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 3 },
});

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
  const anomalies = await scanUsageAnomalies({ at, ...(input.settings ? { settings: input.settings } : {}) });
  const budgets = await checkBudgets({ at });
  // Each new alert is also the webhook alert.created.
  for (const alert of [...anomalies.raised, ...budgets.raised]) {
    await emitWebhookEvent(alertCreatedEvent(alert));
  }
  return { at, anomalies, budgets };
}
