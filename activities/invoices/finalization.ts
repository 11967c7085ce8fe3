import { ApplicationFailure } from '@temporalio/common';
import type { Tx } from '../../db/postgres/tenant-scope.ts';
import { invoicesRepository, type InvoiceRow } from '../../db/postgres/invoices-repository.ts';
import { applyCreditToInvoice } from '../../db/postgres/credit-ledger.ts';
import { invoiceFacts } from '../../db/postgres/invoice-decisions.ts';
import { amountDue, decideInvoice, type InvoiceTransition } from '../../domain/billing/index.ts';

/**
 * The part of finalizing a draft that decides what it asks for, in the finalization's
 * transaction: the tenant's credit grants pay after tax (burn entries in the credit ledger, shown
 * as one negative `credit` line; a negative total becomes a grant instead), then the state machine's `finalize` says finalized, or paid when
 * nothing is left to collect. The credit is taken exactly once: the draft is locked, the grants are
 * locked, a finalized invoice is never finalized again, and a grant burns for a line once (unique index).
 */
export async function decideFinalization(
  tx: Tx,
  draft: InvoiceRow,
  totalMinor: bigint,
  issuedAt: Date,
): Promise<{ transition: InvoiceTransition; creditAppliedMinor: bigint }> {
  const creditAppliedMinor = await applyCreditToInvoice(tx, draft, totalMinor, issuedAt);
  if (creditAppliedMinor > 0n) {
    await invoicesRepository.appendLine(tx, draft, {
      type: 'credit',
      description: 'Credit applied',
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
