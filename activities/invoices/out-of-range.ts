import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../deps.ts';
import { raiseAlert } from '../alerts/raise-alert.ts';
import { createWebhookActivities } from '../webhooks/webhook-activities.ts';
import { billingFailureType } from '../../domain/billing/index.ts';
import { alertCreatedEvent } from '../../domain/webhooks/events.ts';

/** Where a billing step failed for good: enough for the alert to point an operator at it. */
export type OutOfRangeContext = {
  tenantId: string;
  /** The invoiced window (or, for late usage, the earlier window being re-rated). */
  window: { start: Date; end: Date };
  step: 'usage' | 'rating' | 'finalize' | 'late_usage';
  meter?: string;
  invoiceId?: string;
  subscriptionId?: string;
};

/**
 * Raises the critical `billing_failed` alert for the tenant (and its alert.created webhook).
 * The alert's dedup key (tenant, kind, meter, window) makes a retried activity, or the next
 * close re-reading the same late window, raise it once.
 */
export async function raiseBillingFailed(deps: ActivityDeps, ctx: OutOfRangeContext, err: Error): Promise<void> {
  const what =
    ctx.step === 'late_usage'
      ? `Late usage of meter ${ctx.meter} for ${ctx.window.start.toISOString()} – ${ctx.window.end.toISOString()} was not billed`
      : 'An invoice could not be issued';
  const alert = await raiseAlert(deps.pg, {
    tenantId: ctx.tenantId,
    meter: ctx.meter ?? null,
    kind: 'billing_failed',
    severity: 'critical',
    windowStart: ctx.window.start,
    windowEnd: ctx.window.end,
    observed: '0',
    expected: null,
    message: `${what}: ${err.message}`.slice(0, 1000),
    details: {
      step: ctx.step,
      reason: err.message,
      ...(ctx.invoiceId ? { invoiceId: ctx.invoiceId } : {}),
      ...(ctx.subscriptionId ? { subscriptionId: ctx.subscriptionId } : {}),
    },
  });
  if (alert) await createWebhookActivities(deps).emitWebhookEvent(alertCreatedEvent(alert));
}

/**
 * Runs one invoice step. An error no retry can cure (an OutOfRangeError, or another domain error:
 * a RangeError or a domain validation error, see billingFailureType) gives the tenant a critical
 * billing_failed alert and fails the step non-retryably (InvoiceAmountOutOfRange or
 * BillingDomainError), so this one invoice stops instead of retrying every minute forever, and
 * nothing else waits for it. Other errors (a lost connection, a timeout) pass unchanged and are retried.
 */
export async function failingForGood<T>(
  deps: ActivityDeps,
  ctx: OutOfRangeContext | (() => Promise<OutOfRangeContext>),
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const type = billingFailureType(err);
    if (type === null) throw err;
    const error = err as Error;
    await raiseBillingFailed(deps, typeof ctx === 'function' ? await ctx() : ctx, error);
    throw ApplicationFailure.create({ type, message: error.message, nonRetryable: true });
  }
}
