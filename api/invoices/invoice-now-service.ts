import type { Scope } from '../../db/postgres/tenant-scope.ts';
import { HttpProblem } from '../http/problem.ts';
import type { SubscriptionsService } from '../subscriptions/subscriptions-service.ts';
import type { InvoicesService } from './invoices-service.ts';
import type { InvoiceJson } from './invoice-schemas.ts';

export type InvoiceNowOutcome = { invoiceId: string; pending: true } | { invoiceId: string; pending: false; invoice: InvoiceJson };

/**
 * Invoice-now: an Update of the subscription workflow with an invoice id the API chooses, so an
 * Idempotency-Key can stand for that id. A repeat of a key whose invoice is already final is
 * answered from PostgreSQL, without asking the workflow again.
 */
export function createInvoiceNowService(deps: { invoices: InvoicesService; subscriptions: SubscriptionsService; waitMs: number }) {
  const { invoices } = deps;
  return {
    async generate(scope: Scope, subscriptionId: string, idempotencyKey: string | null): Promise<InvoiceNowOutcome> {
      const claim = idempotencyKey === null ? null : await invoices.claimInvoiceNowKey(scope, subscriptionId, idempotencyKey);
      if (claim?.issued && claim.issued.status !== 'draft')
        return { invoiceId: claim.invoiceId, pending: false, invoice: await invoices.get(scope, claim.invoiceId) };
      const outcome = await deps.subscriptions.invoiceNow(scope, subscriptionId, deps.waitMs, claim?.invoiceId);
      if (outcome.pending) return { invoiceId: outcome.invoiceId, pending: true };
      if (outcome.result?.status === 'nothing_to_invoice') {
        throw new HttpProblem(409, 'nothing to invoice: no late usage has arrived since the last invoice of this canceled subscription');
      }
      if (outcome.result?.status === 'billing_failed') {
        throw new HttpProblem(
          409,
          'the invoice could not be issued: its amounts are larger than an invoice can hold, or its rating broke a billing rule; the billing_failed alert raised says which, and the window was not billed',
        );
      }
      return { invoiceId: outcome.invoiceId, pending: false, invoice: await invoices.get(scope, outcome.invoiceId) };
    },
  };
}
