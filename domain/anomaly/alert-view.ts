import { Decimal, formatAmount, isCurrencyCode } from '../money/index.ts';
import type { AlertKind, AlertSeverity } from './window.ts';

/**
 * A stored alert, the columns of `alerts` as the repository reads them (numerics as text, so no
 * amount passes through a float). The view is made from this and nothing else.
 */
export type AlertRecord = {
  id: string;
  tenant_id: string;
  meter: string | null;
  event_type: string | null;
  kind: AlertKind;
  severity: AlertSeverity;
  window_start: Date;
  window_end: Date;
  level: number | null;
  observed: string;
  expected: string | null;
  currency: string | null;
  message: string;
  details: Record<string, unknown>;
  created_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
};

/**
 * An alert as it leaves the system: the API's answers, the `alert.created` webhook and the
 * live `alert.created` push all carry this one shape, so a client reads every channel alike.
 */
export type AlertView = {
  id: string;
  tenantId: string;
  /** The code of the meter the alert is about (billing_failed of late usage), else null. */
  meter: string | null;
  /** The event type whose event count was watched (usage_spike, usage_drop), else null. */
  eventType: string | null;
  kind: AlertKind;
  severity: AlertSeverity;
  window: { start: string; end: string };
  /** Percent of the budget, for budget_threshold. */
  level: number | null;
  /** Decimal strings: event counts, or amounts in `currency` for budget_threshold. */
  observed: string;
  expected: string | null;
  currency: string | null;
  message: string;
  details: Record<string, unknown>;
  createdAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
};

/** numeric text → a decimal string: amounts with the currency's digits, counts without trailing zeros. */
function decimalText(value: string, currency: string | null): string {
  const d = new Decimal(value);
  return currency && isCurrencyCode(currency) ? formatAmount(d, currency) : d.toFixed();
}

export function toAlertView(row: AlertRecord): AlertView {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    meter: row.meter,
    eventType: row.event_type,
    kind: row.kind,
    severity: row.severity,
    window: { start: row.window_start.toISOString(), end: row.window_end.toISOString() },
    level: row.level,
    observed: decimalText(row.observed, row.currency),
    expected: row.expected === null ? null : decimalText(row.expected, row.currency),
    currency: row.currency,
    message: row.message,
    details: row.details,
    createdAt: row.created_at.toISOString(),
    acknowledgedAt: row.acknowledged_at?.toISOString() ?? null,
    acknowledgedBy: row.acknowledged_by,
  };
}
