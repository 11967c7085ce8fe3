import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { ActivityDeps } from '../deps.ts';
import { withTenant } from '../../db/postgres/tenant-scope.ts';
import { invoicesRepository } from '../../db/postgres/invoices-repository.ts';
import { paymentsRepository, type PaymentAttemptRow } from '../../db/postgres/payments-repository.ts';
import { createBuiltinGateway } from './builtin-gateway.ts';
import { raiseAlert } from '../alerts/raise-alert.ts';
import { createWebhookActivities } from '../webhooks/webhook-activities.ts';
import { formatAmount, fromMinorUnits } from '../../domain/money/index.ts';
import { alertCreatedEvent } from '../../domain/webhooks/events.ts';
import type { PaymentGateway } from './gateway.ts';

import { PAYMENT_DECLINED } from '../../domain/billing/index.ts';

export type CollectResult = { outcome: 'succeeded' | 'settled'; invoiceStatus: string; attempt: number };

/** The idempotency key of an attempt: the same invoice and attempt number never charge twice. */
export const paymentIdempotencyKey = (invoiceId: string, attempt: number) => `${invoiceId}:${attempt}`;

export function createPaymentActivities(deps: ActivityDeps) {
  const { pg } = deps;
  const gateways: Readonly<Record<string, PaymentGateway>> = deps.paymentGateways ?? { builtin: createBuiltinGateway(pg) };
  const webhooks = createWebhookActivities(deps);

  return {
    /**
     * One collection attempt of an invoice's amount due. Idempotent per (invoice, attempt): the
     * attempt row and the gateway's idempotency key make a retried or re-run activity answer with
     * the first outcome. A decline is recorded, moves a finalized invoice to payment_failed, and
     * fails non-retryably (PaymentDeclined); gateway errors are thrown and retried.
     * An invoice that is already paid, void or uncollectible is 'settled': nothing is charged.
     */
    async collectPayment(input: { invoiceId: string; tenantId: string; attempt: number; at: string }): Promise<CollectResult> {
      const at = new Date(input.at);
      type Started = { settled: string } | { attempt: PaymentAttemptRow; currency: string };
      const started = await withTenant(pg, input.tenantId, async (tx): Promise<Started> => {
        const invoice = await invoicesRepository.findById(tx, input.invoiceId);
        if (!invoice) throw ApplicationFailure.nonRetryable(`invoice ${input.invoiceId} not found`, 'InvoiceNotFound');
        if (!['finalized', 'payment_failed'].includes(invoice.status)) return { settled: invoice.status };
        const due = invoice.total_minor! - invoice.amount_paid_minor;
        if (due <= 0n) return { settled: invoice.status };
        const settings = await paymentsRepository.settings(tx, input.tenantId);
        const gateway = settings?.gateway ?? 'builtin';
        const attempt = await paymentsRepository.beginAttempt(tx, {
          tenantId: input.tenantId,
          invoiceId: input.invoiceId,
          attempt: input.attempt,
          idempotencyKey: paymentIdempotencyKey(input.invoiceId, input.attempt),
          gateway,
          amountMinor: due,
        });
        return { attempt, currency: invoice.currency };
      });
      if ('settled' in started) return { outcome: 'settled', invoiceStatus: started.settled, attempt: input.attempt };
      const { attempt, currency } = started;
      const gateway = gateways[attempt.gateway];
      if (!gateway) throw ApplicationFailure.nonRetryable(`payment gateway ${attempt.gateway} is not configured`, 'NoGateway');

      // A completed attempt is answered from its record; a pending one (a crash after the charge
      // request) asks the gateway again with the same key, which answers without charging twice.
      const result =
        attempt.status === 'pending'
          ? await gateway.charge({ idempotencyKey: attempt.idempotency_key, tenantId: input.tenantId, invoiceId: input.invoiceId, amountMinor: attempt.amount_minor, currency })
          : attempt.status === 'succeeded'
            ? { outcome: 'succeeded' as const, reference: attempt.gateway_reference! }
            : { outcome: 'declined' as const, reference: attempt.gateway_reference!, reason: attempt.failure_reason ?? 'declined' };

      const status = await withTenant(pg, input.tenantId, async (tx) => {
        const done = await paymentsRepository.completeAttempt(tx, attempt.id, {
          status: result.outcome,
          reference: result.reference,
          failureReason: result.outcome === 'declined' ? result.reason : undefined,
          at,
        });
        if (result.outcome === 'succeeded') {
          const payment = await paymentsRepository.insertPayment(tx, {
            tenantId: input.tenantId,
            invoiceId: input.invoiceId,
            method: 'gateway',
            amountMinor: done.amount_minor,
            reference: result.reference,
            attemptId: done.id,
            receivedAt: at,
          });
          if (payment) return (await invoicesRepository.addPayment(tx, input.invoiceId, payment.amount_minor, at)).status;
          return (await invoicesRepository.findById(tx, input.invoiceId))!.status;
        }
        await invoicesRepository.transition(tx, input.invoiceId, ['finalized'], 'payment_failed');
        return 'payment_failed';
      });
      if (result.outcome === 'declined') {
        // BENIGN: a decline is an expected business outcome, not an error worth logging as one.
        throw ApplicationFailure.create({ type: PAYMENT_DECLINED, message: `attempt ${input.attempt} declined: ${result.reason}`, nonRetryable: true, category: ApplicationFailureCategory.BENIGN });
      }
      return { outcome: 'succeeded', invoiceStatus: status, attempt: input.attempt };
    },

    /** After the last declined attempt: the invoice is uncollectible (unless it was settled meanwhile). */
    /**
     * Ends dunning without payment: the invoice becomes uncollectible and an alert is raised
     * (pushed live and sent as `alert.created`). The alert's dedup key (tenant, kind, the
     * invoice's period) makes a retried activity raise it once.
     */
    async markInvoiceUncollectible(input: { invoiceId: string; tenantId: string }): Promise<{ invoiceStatus: string }> {
      const invoice = await withTenant(pg, input.tenantId, async (tx) => {
        await invoicesRepository.transition(tx, input.invoiceId, ['finalized', 'payment_failed'], 'uncollectible');
        return (await invoicesRepository.findById(tx, input.invoiceId))!;
      });
      if (invoice.status === 'uncollectible') {
        const total = formatAmount(fromMinorUnits(invoice.total_minor ?? 0n, invoice.currency), invoice.currency);
        const alert = await raiseAlert(pg, {
          tenantId: input.tenantId,
          meter: null,
          kind: 'invoice_uncollectible',
          severity: 'critical',
          windowStart: invoice.period_start,
          windowEnd: invoice.period_end,
          observed: total,
          expected: null,
          currency: invoice.currency,
          message: `Invoice ${invoice.number ?? invoice.id} (${total} ${invoice.currency}) is uncollectible: every payment attempt was declined, and the subscription is past due.`,
          details: { invoiceId: invoice.id, subscriptionId: invoice.subscription_id },
        });
        if (alert) {
          await webhooks.emitWebhookEvent(alertCreatedEvent(alert));
        }
      }
      return { invoiceStatus: invoice.status };
    },
  };
}
