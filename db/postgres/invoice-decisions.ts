import type { InvoiceFacts, InvoiceTransition } from '../../domain/billing/index.ts';
import { amountDue } from '../../domain/billing/index.ts';
import type { Tx } from './tenant-scope.ts';
import { invoicesRepository, type InvoiceRow } from './invoices-repository.ts';
import { paymentsRepository, type PaymentAttemptRow, type PaymentRow } from './payments-repository.ts';
import { creditReceivedMoney, reverseInvoiceBurns } from './credit-ledger.ts';
import { recordWebhookEvent } from './webhook-outbox.ts';
import { invoiceVoidedEvent } from '../../domain/webhooks/events.ts';
import { renderStoredInvoicePdf } from './stored-invoice-pdf.ts';

// The one writer of an invoice's status after finalization: every caller (the charge of a dunning
// attempt, a manual payment, a void, the end of dunning) locks the invoice, asks the state
// machine (domain/billing decideInvoice) and writes its decision here, in the same transaction.

/** What the state machine needs to know of a locked invoice and the attempt in flight, if any. */
export function invoiceFacts(invoice: InvoiceRow, pending: PaymentAttemptRow | null): InvoiceFacts {
  return {
    state: invoice.status,
    amountDueMinor: invoice.total_minor === null ? null : amountDue(invoice.total_minor, invoice.credit_applied_minor),
    amountPaidMinor: invoice.amount_paid_minor,
    pendingAttemptId: pending?.id ?? null,
  };
}

export type ReceivedMoney = {
  method: 'gateway' | 'manual';
  amountMinor: bigint;
  reference: string;
  attemptId?: string;
  recordedBy?: string | null;
};

/**
 * Writes a decision with what comes with it: the money received (a payments row for the whole
 * amount), the new status and amount paid, and the part not owed as a credit grant.
 */
export async function writeInvoiceDecision(
  tx: Tx,
  invoice: InvoiceRow,
  t: InvoiceTransition,
  x: { at: Date; received?: ReceivedMoney },
): Promise<{ invoice: InvoiceRow; payment: PaymentRow | null }> {
  let payment: PaymentRow | null = null;
  if (x.received) {
    payment = await paymentsRepository.insertPayment(tx, {
      tenantId: invoice.tenant_id,
      invoiceId: invoice.id,
      ...x.received,
      receivedAt: x.at,
    });
    // Unique per attempt: an attempt's money is recorded once, when its pending row completes.
    if (!payment) throw new Error(`attempt ${x.received.attemptId} already has a payment`);
  }
  const written = await invoicesRepository.applyTransition(tx, invoice.id, t, x.at);
  // Money not owed becomes an overpayment grant; a void gives the invoice's burns back to their grants.
  if (t.creditMinor > 0n) {
    await creditReceivedMoney(tx, invoice, {
      amountMinor: t.creditMinor,
      paymentId: t.action === 'void' ? null : (payment?.id ?? null),
      at: x.at,
      why: t.action === 'void' ? `paid on invoice ${invoice.id}, which was then voided` : `paid beyond what invoice ${invoice.id} owed`,
    });
  }
  if (t.to === 'void' && t.from !== 'void') await reverseInvoiceBurns(tx, invoice, x.at);
  // The stored PDF shows the status it was rendered with: a paid or voided invoice must not go
  // on downloading as a bill to pay. Dates come from the invoice, so only the status changes.
  if (t.to !== t.from && written.has_pdf) await invoicesRepository.replacePdf(tx, written.id, await renderStoredInvoicePdf(tx, written));
  // Reported in this transaction, so the event exists exactly when the void does.
  if (t.to === 'void' && t.from !== 'void') {
    await recordWebhookEvent(
      tx,
      invoiceVoidedEvent({
        id: written.id,
        tenantId: written.tenant_id,
        subscriptionId: written.subscription_id,
        number: written.number,
        voidedAt: (written.voided_at ?? x.at).toISOString(),
      }),
    );
  }
  return { invoice: written, payment };
}
