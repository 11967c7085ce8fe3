import { ApplicationFailure } from '@temporalio/common';
import type { Tx } from '../../db/postgres/tenant-scope.ts';
import { invoicesRepository, type InvoiceRow } from '../../db/postgres/invoices-repository.ts';
import { creditsRepository } from '../../db/postgres/credits-repository.ts';
import { invoiceFacts } from '../../db/postgres/invoice-decisions.ts';
import { amountDue, creditToApply, decideInvoice, type InvoiceTransition } from '../../domain/billing/index.ts';

/**
 * The part of finalizing a draft that decides what it asks for, in the finalization's
 * transaction: the tenant's credit is applied after tax (a negative `credit` line, the balance
 * lowered by the same amount), then the state machine's `finalize` says finalized, or paid when
 * nothing is left to collect. The credit is taken exactly once: the draft is locked, a finalized
 * invoice is never finalized again, and a second application entry of the invoice is refused by
 * a unique index.
 */
export async function decideFinalization(
  tx: Tx,
  draft: InvoiceRow,
  totalMinor: bigint,
): Promise<{ transition: InvoiceTransition; creditAppliedMinor: bigint }> {
  const balance = await creditsRepository.balanceForUpdate(tx, draft.tenant_id, draft.currency);
  const creditAppliedMinor = creditToApply(totalMinor, balance);
  if (creditAppliedMinor > 0n) {
    await creditsRepository.addEntry(tx, {
      tenantId: draft.tenant_id,
      currency: draft.currency,
      kind: 'applied',
      amountMinor: -creditAppliedMinor,
      invoiceId: draft.id,
    });
    await invoicesRepository.appendLine(tx, draft, {
      type: 'credit',
      description: 'Credit balance applied',
      amountMinor: -creditAppliedMinor,
    });
  }
  const transition = decideInvoice(invoiceFacts(draft, null), {
    action: 'finalize',
    actor: 'system',
    amountDueMinor: amountDue(totalMinor, creditAppliedMinor),
  });
  if (!transition.ok) throw ApplicationFailure.nonRetryable(`invoice ${draft.id}: ${transition.message}`, 'InvoiceStateRefused');
  return { transition, creditAppliedMinor };
}
