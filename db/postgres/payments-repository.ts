import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';
import { ts } from './sql.ts';

// Payment settings, attempts, received payments, the built-in gateway's ledger (all tenant-owned,
// RLS), a tenant's Stripe customer, and the Stripe webhook events taken (operator-only). Amounts
// are bigint minor units.

export const paymentSettingsRow = z.object({
  tenant_id: z.string(),
  gateway: z.string(),
  decline_first_attempts: z.number(),
  transient_failures_per_attempt: z.number(),
  charge_delay_ms: z.number(),
  updated_at: z.date(),
});
export type PaymentSettingsRow = z.infer<typeof paymentSettingsRow>;

export const paymentAttemptRow = z.object({
  id: z.string(),
  tenant_id: z.string(),
  invoice_id: z.string(),
  attempt: z.number(),
  idempotency_key: z.string(),
  gateway: z.string(),
  amount_minor: z.bigint(),
  status: z.enum(['pending', 'succeeded', 'declined']),
  gateway_reference: z.string().nullable(),
  failure_reason: z.string().nullable(),
  created_at: z.date(),
  completed_at: z.date().nullable(),
});
export type PaymentAttemptRow = z.infer<typeof paymentAttemptRow>;

export const paymentRow = z.object({
  id: z.string(),
  tenant_id: z.string(),
  invoice_id: z.string(),
  method: z.enum(['gateway', 'manual']),
  amount_minor: z.bigint(),
  reference: z.string(),
  payment_attempt_id: z.string().nullable(),
  recorded_by: z.string().nullable(),
  received_at: z.date(),
});
export type PaymentRow = z.infer<typeof paymentRow>;

export const gatewayChargeRow = z.object({
  idempotency_key: z.string(),
  tenant_id: z.string(),
  invoice_id: z.string(),
  amount_minor: z.bigint(),
  currency: z.string(),
  outcome: z.enum(['succeeded', 'declined']),
  reference: z.string(),
  decline_reason: z.string().nullable(),
});
export type GatewayChargeRow = z.infer<typeof gatewayChargeRow>;

const settingsColumns = sql.fragment`tenant_id, gateway, decline_first_attempts, transient_failures_per_attempt, charge_delay_ms, updated_at`;

const attemptColumns = sql.fragment`id, tenant_id, invoice_id, attempt, idempotency_key, gateway, amount_minor, status, gateway_reference, failure_reason, created_at, completed_at`;
const paymentColumns = sql.fragment`id, tenant_id, invoice_id, method, amount_minor, reference, payment_attempt_id, recorded_by, received_at`;

export const paymentsRepository = {
  settings: (tx: Tx, tenantId: string) =>
    tx.maybeOne(sql.type(paymentSettingsRow)`SELECT ${settingsColumns} FROM tenant_payment_settings WHERE tenant_id = ${tenantId}`),

  upsertSettings: (
    tx: Tx,
    tenantId: string,
    s: { gateway: string; declineFirstAttempts: number; transientFailuresPerAttempt: number; chargeDelayMs?: number },
  ) =>
    tx.one(sql.type(paymentSettingsRow)`
      INSERT INTO tenant_payment_settings (tenant_id, gateway, decline_first_attempts, transient_failures_per_attempt, charge_delay_ms)
      VALUES (${tenantId}, ${s.gateway}, ${s.declineFirstAttempts}, ${s.transientFailuresPerAttempt}, ${s.chargeDelayMs ?? 0})
      ON CONFLICT (tenant_id) DO UPDATE SET gateway = EXCLUDED.gateway, decline_first_attempts = EXCLUDED.decline_first_attempts,
        transient_failures_per_attempt = EXCLUDED.transient_failures_per_attempt, charge_delay_ms = EXCLUDED.charge_delay_ms, updated_at = now()
      RETURNING ${settingsColumns}`),

  /** The attempt of an invoice in flight at its gateway, if any (at most one: a partial unique index). */
  pendingAttempt: (tx: Tx, invoiceId: string) =>
    tx.maybeOne(
      sql.type(paymentAttemptRow)`SELECT ${attemptColumns} FROM payment_attempts WHERE invoice_id = ${invoiceId} AND status = 'pending'`,
    ),

  attemptOf: (tx: Tx, invoiceId: string, attempt: number) =>
    tx.maybeOne(
      sql.type(paymentAttemptRow)`SELECT ${attemptColumns} FROM payment_attempts WHERE invoice_id = ${invoiceId} AND attempt = ${attempt}`,
    ),

  attemptById: (tx: Tx, id: string) => tx.one(sql.type(paymentAttemptRow)`SELECT ${attemptColumns} FROM payment_attempts WHERE id = ${id}`),

  /**
   * Records an attempt as pending: the lock of its invoice until its outcome is recorded. A second
   * pending attempt of the same invoice violates payment_attempts_one_pending.
   */
  insertPendingAttempt: (
    tx: Tx,
    a: { tenantId: string; invoiceId: string; attempt: number; idempotencyKey: string; gateway: string; amountMinor: bigint },
  ) =>
    tx.one(sql.type(paymentAttemptRow)`
      INSERT INTO payment_attempts (tenant_id, invoice_id, attempt, idempotency_key, gateway, amount_minor, status)
      VALUES (${a.tenantId}, ${a.invoiceId}, ${a.attempt}, ${a.idempotencyKey}, ${a.gateway}, ${a.amountMinor}, 'pending')
      RETURNING ${attemptColumns}`),

  /** Records the outcome of a pending attempt (and only of a pending one). */
  completeAttempt: (tx: Tx, id: string, r: { status: 'succeeded' | 'declined'; reference: string; failureReason?: string; at: Date }) =>
    tx.one(sql.type(paymentAttemptRow)`
      UPDATE payment_attempts SET status = ${r.status}, gateway_reference = ${r.reference}, failure_reason = ${r.failureReason ?? null},
        completed_at = ${ts(r.at)}
      WHERE id = ${id} AND status = 'pending'
      RETURNING ${attemptColumns}`),

  attempts: (tx: Tx, invoiceId: string) =>
    tx.any(sql.type(paymentAttemptRow)`SELECT ${attemptColumns} FROM payment_attempts WHERE invoice_id = ${invoiceId} ORDER BY attempt`),

  /** Money received. A gateway payment is recorded once per attempt (unique payment_attempt_id). */
  insertPayment: (
    tx: Tx,
    p: {
      tenantId: string;
      invoiceId: string;
      method: 'gateway' | 'manual';
      amountMinor: bigint;
      reference: string;
      attemptId?: string;
      recordedBy?: string | null;
      receivedAt: Date;
    },
  ) =>
    tx.maybeOne(sql.type(paymentRow)`
      INSERT INTO payments (tenant_id, invoice_id, method, amount_minor, reference, payment_attempt_id, recorded_by, received_at)
      VALUES (${p.tenantId}, ${p.invoiceId}, ${p.method}, ${p.amountMinor}, ${p.reference}, ${p.attemptId ?? null}, ${p.recordedBy ?? null}, ${ts(p.receivedAt)})
      ON CONFLICT (payment_attempt_id) DO NOTHING
      RETURNING ${paymentColumns}`),

  payments: (tx: Tx, invoiceId: string) =>
    tx.any(sql.type(paymentRow)`SELECT ${paymentColumns} FROM payments WHERE invoice_id = ${invoiceId} ORDER BY received_at, id`),

  /** The built-in gateway's ledger: the answer it gave to an idempotency key, if any. */
  gatewayCharge: (tx: Tx, idempotencyKey: string) =>
    tx.maybeOne(sql.type(gatewayChargeRow)`
      SELECT idempotency_key, tenant_id, invoice_id, amount_minor, currency, outcome, reference, decline_reason
      FROM builtin_gateway_charges WHERE idempotency_key = ${idempotencyKey}`),

  /** Distinct charge requests the built-in gateway has answered for an invoice. */
  gatewayChargeCount: (tx: Tx, tenantId: string, invoiceId: string) =>
    tx.oneFirst(sql.type(z.object({ n: z.number() }))`
      SELECT count(*)::int AS n FROM builtin_gateway_charges WHERE tenant_id = ${tenantId} AND invoice_id = ${invoiceId}`),

  /** Records the gateway's answer to a key; the first answer wins, and is returned. */
  recordGatewayCharge: async (tx: Tx, c: GatewayChargeRow): Promise<GatewayChargeRow> => {
    await tx.query(sql.unsafe`
      INSERT INTO builtin_gateway_charges (idempotency_key, tenant_id, invoice_id, amount_minor, currency, outcome, reference, decline_reason)
      VALUES (${c.idempotency_key}, ${c.tenant_id}, ${c.invoice_id}, ${c.amount_minor}, ${c.currency}, ${c.outcome}, ${c.reference}, ${c.decline_reason})
      ON CONFLICT (idempotency_key) DO NOTHING`);
    return (await paymentsRepository.gatewayCharge(tx, c.idempotency_key))!;
  },

  /** Records the provider's reference of a charge answered pending; it stays pending (the invoice's lock) until its webhook. */
  markAttemptAwaiting: (tx: Tx, id: string, reference: string) =>
    tx.one(sql.type(paymentAttemptRow)`
      UPDATE payment_attempts SET gateway_reference = ${reference} WHERE id = ${id} AND status = 'pending'
      RETURNING ${attemptColumns}`),

  /** The tenant's Stripe customer, if one was created; null otherwise. */
  stripeCustomerId: (tx: Tx, tenantId: string) =>
    tx.oneFirst(sql.type(z.object({ stripe_customer_id: z.string().nullable() }))`
      SELECT stripe_customer_id FROM tenants WHERE id = ${tenantId}`),

  /** Stores the tenant's Stripe customer unless one is stored already; returns the one stored (the first wins). */
  storeStripeCustomerId: async (tx: Tx, tenantId: string, customerId: string): Promise<string> =>
    tx.oneFirst(sql.type(z.object({ stripe_customer_id: z.string() }))`
      UPDATE tenants SET stripe_customer_id = COALESCE(stripe_customer_id, ${customerId}) WHERE id = ${tenantId}
      RETURNING stripe_customer_id`),

  /**
   * Takes a Stripe webhook event by its id: true the first time, false for an event already
   * taken (a second delivery). A concurrent second insert waits on the first's commit.
   */
  takeStripeEvent: async (tx: Tx, e: { eventId: string; type: string; paymentIntentId: string | null; invoiceId: string | null }) =>
    (await tx.maybeOne(sql.type(z.object({ event_id: z.string() }))`
      INSERT INTO stripe_webhook_events (event_id, type, payment_intent_id, invoice_id)
      VALUES (${e.eventId}, ${e.type}, ${e.paymentIntentId}, ${e.invoiceId})
      ON CONFLICT (event_id) DO NOTHING
      RETURNING event_id`)) !== null,

  gatewayCharges: (tx: Tx, tenantId: string) =>
    tx.any(sql.type(gatewayChargeRow)`
      SELECT idempotency_key, tenant_id, invoice_id, amount_minor, currency, outcome, reference, decline_reason
      FROM builtin_gateway_charges WHERE tenant_id = ${tenantId} ORDER BY created_at, idempotency_key`),
};
