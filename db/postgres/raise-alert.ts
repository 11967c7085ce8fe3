import type { DatabasePool } from 'slonik';
import { withTenant, type Tx } from './tenant-scope.ts';
import { alertsRepository, type NewAlert } from './alerts-repository.ts';
import { toAlertView, type AlertView } from '../../domain/anomaly/index.ts';
import { publishEvent } from './realtime-events.ts';
import { recordWebhookEvent } from './webhook-outbox.ts';
import { alertCreatedEvent, creditAlertEvent } from '../../domain/webhooks/events.ts';

/**
 * Inserts the alert unless its dedup key exists, and in the same transaction publishes
 * `alert.created` (NOTIFY, delivered on commit) and records its webhook in the outbox. A retried
 * activity finds the row and publishes nothing twice, and the webhook recorded by the first
 * try is still dispatched (by the caller, or by the outbox sweep if the caller never got
 * there). A credit alert also records its credit.* event (creditAlertEvent). Returns the new alert, or null for a duplicate.
 */
export async function raiseAlert(pg: DatabasePool, alert: NewAlert): Promise<AlertView | null> {
  return withTenant(pg, alert.tenantId, (tx) => raiseAlertIn(tx, alert));
}

/** raiseAlert inside the caller's transaction (scoped to the alert's tenant), beside other writes that must commit with it. */
export async function raiseAlertIn(tx: Tx, alert: NewAlert): Promise<AlertView | null> {
  const row = await alertsRepository.insertIfNew(tx, alert);
  if (!row) return null;
  const view = toAlertView(row);
  await publishEvent(tx, { type: 'alert.created', tenantId: view.tenantId, at: view.createdAt, alert: view });
  await recordWebhookEvent(tx, alertCreatedEvent(view));
  const credit = creditAlertEvent(view);
  if (credit) await recordWebhookEvent(tx, credit);
  return view;
}
