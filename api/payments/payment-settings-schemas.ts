import { z } from 'zod';
import type { PaymentSettingsRow } from '../../db/postgres/payments-repository.ts';

export const tenantIdParams = z.strictObject({ tenantId: z.uuid() });

export const paymentSettingsSchema = z
  .object({
    tenantId: z.uuid(),
    gateway: z.string(),
    declineFirstAttempts: z.number().int(),
    transientFailuresPerAttempt: z.number().int(),
    chargeDelayMs: z.number().int(),
  })
  .meta({ id: 'PaymentSettings' });
export type PaymentSettings = z.infer<typeof paymentSettingsSchema>;

export const paymentSettingsBody = z.strictObject({
  gateway: z
    .enum(['builtin', 'stripe'])
    .default('builtin')
    .describe('builtin: the deterministic test gateway; stripe: off-session PaymentIntents (the worker needs STRIPE_SECRET_KEY)'),
  declineFirstAttempts: z
    .number()
    .int()
    .min(0)
    .max(100)
    .default(0)
    .describe('built-in gateway: decline the first N attempts of each invoice'),
  transientFailuresPerAttempt: z
    .number()
    .int()
    .min(0)
    .max(10)
    .default(0)
    .describe('built-in gateway: fail each attempt transiently M times first'),
  chargeDelayMs: z
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(0)
    .describe(
      'built-in gateway (a test hook): record each new charge at once, answer it this many ms later, so a charge can be held in flight',
    ),
});
export type PaymentSettingsInput = z.output<typeof paymentSettingsBody>;

/** What a tenant that never set anything gets: the built-in gateway, which charges at once and never declines. */
export const defaultPaymentSettings = (tenantId: string): PaymentSettings => ({
  tenantId,
  gateway: 'builtin',
  declineFirstAttempts: 0,
  transientFailuresPerAttempt: 0,
  chargeDelayMs: 0,
});

export const toPaymentSettings = (row: PaymentSettingsRow): PaymentSettings => ({
  tenantId: row.tenant_id,
  gateway: row.gateway,
  declineFirstAttempts: row.decline_first_attempts,
  transientFailuresPerAttempt: row.transient_failures_per_attempt,
  chargeDelayMs: row.charge_delay_ms,
});
