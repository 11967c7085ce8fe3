import type { ActivityDeps } from '../deps.ts';
import { createScanAnomalyActivities } from './scan-anomalies.ts';
import { createBudgetActivities } from './check-budgets.ts';

export type { ScanUsageInput, ScanUsageResult, RaisedAlert } from './scan-anomalies.ts';
export type { CheckBudgetsInput, CheckBudgetsResult, CheckBudgetPageInput } from './check-budgets.ts';
export { raiseAlert } from './raise-alert.ts';

/** The anomaly-scan workflow's activities: usage anomalies and budget thresholds. */
export function createAlertActivities(deps: ActivityDeps) {
  return {
    ...createScanAnomalyActivities(deps),
    ...createBudgetActivities(deps),
  };
}
