export const ALERT_KINDS = [
  'usage_spike',
  'usage_drop',
  'budget_threshold',
  'invoice_uncollectible',
  'billing_failed',
  'credit_low',
  'credit_depleted',
  'usage_limit_exceeded',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

const MINUTE_MS = 60_000;

/** A scan's window: the last whole scan interval that ended at or before `at`, half-open [start, end) in UTC. */
export type ScanWindow = { start: Date; end: Date };

/**
 * Windows are aligned to whole intervals since the Unix epoch (12:00, 12:05, ...), so a scan
 * that runs again, late or twice, evaluates the same window and dedups to the same alert.
 */
export function scanWindow(at: Date, intervalMinutes: number): ScanWindow {
  const interval = intervalMinutes * MINUTE_MS;
  const end = Math.floor(at.getTime() / interval) * interval;
  return { start: new Date(end - interval), end: new Date(end) };
}
