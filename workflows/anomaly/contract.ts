// What the CLI (schedule) and tests need to start the anomaly scan; no implementation here.
import type { ScanDefaults } from '../../domain/anomaly/index.ts';
import type { CheckBudgetsResult, ScanUsageResult } from '../../activities/alerts/index.ts';

export const ANOMALY_SCAN_WORKFLOW = 'anomalyScanWorkflow';
/** The Temporal Schedule's id; each run's workflow id is this plus the scheduled time. */
export const ANOMALY_SCAN_SCHEDULE_ID = 'anomaly-scan';

export type AnomalyScanSettings = ScanDefaults;

export type AnomalyScanInput = {
  /** The instant the scan is for (ISO 8601); default: when this run was started (the scheduled time). */
  at?: string;
  /** The configured defaults (ANOMALY_* variables); alert rules override them per tenant and meter. */
  settings?: Partial<AnomalyScanSettings>;
};

export type AnomalyScanResult = { at: string; anomalies: ScanUsageResult; budgets: CheckBudgetsResult };
