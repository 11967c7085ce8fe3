import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';

export const endpointRow = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  secret: z.string(),
  created_at: z.date(),
});
export type EndpointRow = z.infer<typeof endpointRow>;

export const deliveryRow = z.object({
  id: z.string(),
  endpoint_id: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  tenant_id: z.string().nullable(),
  payload: z.unknown(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  attempts: z.number(),
  last_status_code: z.number().nullable(),
  last_error: z.string().nullable(),
  delivered_at: z.date().nullable(),
  created_at: z.date(),
});
export type DeliveryRow = z.infer<typeof deliveryRow>;

const attemptRow = z.object({
  delivery_id: z.string(),
  attempt: z.number(),
  at: z.date(),
  status_code: z.number().nullable(),
  error: z.string().nullable(),
  duration_ms: z.number(),
});
export type AttemptRow = z.infer<typeof attemptRow>;

const endpointColumns = sql.fragment`id, url, events, secret, created_at`;
const deliveryColumns = sql.fragment`id, endpoint_id, event_id, event_type, tenant_id, payload, status, attempts, last_status_code, last_error, delivered_at, created_at`;

export const webhooksRepository = {
  insertEndpoint: (tx: Tx, e: { url: string; events: string[]; secret: string }) =>
    tx.one(sql.type(endpointRow)`
      INSERT INTO webhook_endpoints (url, events, secret) VALUES (${e.url}, ${sql.array(e.events, 'text')}, ${e.secret})
      RETURNING ${endpointColumns}`),

  listEndpoints: (tx: Tx) =>
    tx.any(sql.type(endpointRow)`SELECT ${endpointColumns} FROM webhook_endpoints WHERE deleted_at IS NULL ORDER BY created_at, id`),

  findEndpoint: (tx: Tx, id: string) =>
    tx.maybeOne(sql.type(endpointRow)`SELECT ${endpointColumns} FROM webhook_endpoints WHERE id = ${id} AND deleted_at IS NULL`),

  deleteEndpoint: (tx: Tx, id: string) =>
    tx.maybeOne(sql.type(endpointRow)`
      UPDATE webhook_endpoints SET deleted_at = now() WHERE id = ${id} AND deleted_at IS NULL RETURNING ${endpointColumns}`),

  /** Endpoints subscribed to `eventType` (or to every event with "*"). */
  subscribedTo: (tx: Tx, eventType: string) =>
    tx.any(sql.type(endpointRow)`
      SELECT ${endpointColumns} FROM webhook_endpoints
      WHERE deleted_at IS NULL AND (${eventType} = ANY (events) OR '*' = ANY (events))`),

  /** Idempotent: a second enqueue of the same event for the same endpoint returns the first delivery. */
  enqueue: async (tx: Tx, d: { endpointId: string; eventId: string; eventType: string; tenantId: string | null; payload: unknown }) => {
    await tx.query(sql.unsafe`
      INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, tenant_id, payload)
      VALUES (${d.endpointId}, ${d.eventId}, ${d.eventType}, ${d.tenantId}, ${sql.jsonb(d.payload as never)})
      ON CONFLICT (endpoint_id, event_id) DO NOTHING`);
    return tx.one(sql.type(deliveryRow)`
      SELECT ${deliveryColumns} FROM webhook_deliveries WHERE endpoint_id = ${d.endpointId} AND event_id = ${d.eventId}`);
  },

  findDelivery: (tx: Tx, id: string) =>
    tx.maybeOne(sql.type(deliveryRow.extend({ url: z.string(), secret: z.string(), endpoint_deleted: z.boolean() }))`
      SELECT d.id, d.endpoint_id, d.event_id, d.event_type, d.tenant_id, d.payload, d.status, d.attempts, d.last_status_code,
             d.last_error, d.delivered_at, d.created_at, e.url, e.secret, e.deleted_at IS NOT NULL AS endpoint_deleted
      FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = ${id}`),

  recordAttempt: async (
    tx: Tx,
    a: { deliveryId: string; statusCode: number | null; error: string | null; durationMs: number; succeeded: boolean },
  ) => {
    const attempt = await tx.oneFirst(sql.type(z.object({ attempts: z.number() }))`
      UPDATE webhook_deliveries SET attempts = attempts + 1, last_status_code = ${a.statusCode}, last_error = ${a.error},
        status = CASE WHEN ${a.succeeded} THEN 'succeeded' ELSE status END,
        delivered_at = CASE WHEN ${a.succeeded} THEN now() ELSE delivered_at END
      WHERE id = ${a.deliveryId} RETURNING attempts`);
    await tx.query(sql.unsafe`
      INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error, duration_ms)
      VALUES (${a.deliveryId}, ${attempt}, ${a.statusCode}, ${a.error}, ${a.durationMs})`);
    return attempt;
  },

  markFailed: (tx: Tx, id: string) =>
    tx.query(sql.unsafe`UPDATE webhook_deliveries SET status = 'failed' WHERE id = ${id} AND status = 'pending'`),

  listDeliveries: (tx: Tx, endpointId: string, limit: number) =>
    tx.any(sql.type(deliveryRow)`
      SELECT ${deliveryColumns} FROM webhook_deliveries WHERE endpoint_id = ${endpointId} ORDER BY created_at DESC, id LIMIT ${limit}`),

  attemptsOf: (tx: Tx, deliveryIds: readonly string[]) =>
    tx.any(sql.type(attemptRow)`
      SELECT delivery_id, attempt, at, status_code, error, duration_ms FROM webhook_attempts
      WHERE delivery_id = ANY (${sql.array(deliveryIds, 'uuid')}) ORDER BY delivery_id, attempt`),
};
