import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';
import { MAX_EVENT_BYTES, publishEvent, REALTIME_EVENT_TYPES, type RealtimeEvent, type RealtimeEventType } from './realtime-events.ts';
import { webhookPayload, type WebhookEvent } from '../../domain/webhooks/events.ts';

const outboxRow = z.object({
  event_id: z.string(),
  event_type: z.string(),
  tenant_id: z.string().nullable(),
  occurred_at: z.date(),
  payload: z.unknown(),
});
export type OutboxRow = z.infer<typeof outboxRow>;

// alert.created is published live by the alert's own writer (with the whole alert), so the
// outbox does not publish it a second time.
const LIVE_FROM_OUTBOX = new Set<string>(REALTIME_EVENT_TYPES.filter((t) => t !== 'usage.tick' && t !== 'alert.created'));

/**
 * Records a webhook event in the caller's transaction: it exists if and only if the change it
 * reports commits. The first record of an event id also publishes it live to the dashboard
 * (NOTIFY, delivered on the same commit); a second record of the same id does nothing.
 * Returns whether the event is new.
 */
export async function recordWebhookEvent(tx: Tx, event: WebhookEvent): Promise<boolean> {
  const inserted = await tx.maybeOneFirst(sql.type(z.object({ event_id: z.string() }))`
    INSERT INTO webhook_outbox (event_id, event_type, tenant_id, occurred_at, payload)
    VALUES (${event.id}, ${event.type}, ${event.tenantId}, ${event.occurredAt}, ${sql.jsonb(webhookPayload(event) as never)})
    ON CONFLICT (event_id) DO NOTHING RETURNING event_id`);
  if (inserted === null) return false;
  if (event.tenantId !== null && LIVE_FROM_OUTBOX.has(event.type)) await publishEvent(tx, liveEventOf(event, event.tenantId));
  return true;
}

/**
 * The live form of a webhook event: its data, unless that is too large for NOTIFY (a
 * subscription with a large pending plan), then only the ids a listener needs to refresh. A
 * webhook must never fail to record because its live echo is large.
 */
function liveEventOf(event: WebhookEvent, tenantId: string): RealtimeEvent {
  const head = { type: event.type as RealtimeEventType, tenantId, at: event.occurredAt, eventId: event.id };
  const full = { ...head, ...event.data };
  if (Buffer.byteLength(JSON.stringify(full)) <= MAX_EVENT_BYTES) return full;
  const idsOf = (value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).filter(([k, v]) => k.endsWith('Id') && typeof v === 'string'))
      : {};
  const ids = Object.fromEntries(Object.entries(event.data).map(([key, value]) => [key, idsOf(value)]));
  return { ...head, ...ids, truncated: true };
}

const columns = sql.fragment`event_id, event_type, tenant_id, occurred_at, payload`;

export const webhookOutboxRepository = {
  find: (tx: Tx, eventId: string) => tx.maybeOne(sql.type(outboxRow)`SELECT ${columns} FROM webhook_outbox WHERE event_id = ${eventId}`),

  /** The oldest events not yet dispatched. */
  undispatched: (tx: Tx, limit: number) =>
    tx.any(
      sql.type(outboxRow)`SELECT ${columns} FROM webhook_outbox WHERE dispatched_at IS NULL ORDER BY created_at, event_id LIMIT ${limit}`,
    ),

  markDispatched: (tx: Tx, eventId: string) =>
    tx.query(sql.unsafe`UPDATE webhook_outbox SET dispatched_at = now() WHERE event_id = ${eventId} AND dispatched_at IS NULL`),
};
