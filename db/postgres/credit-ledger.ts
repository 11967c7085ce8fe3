import type { Tx } from './tenant-scope.ts';
import { creditLedgerRepository, type CreditGrantRow, type NewGrant } from './credit-ledger-repository.ts';
import { invoicesRepository, type InvoiceRow } from './invoices-repository.ts';
import {
  allocateBurns,
  burnEntries,
  checkAppend,
  creditApplied,
  expiryEntries,
  reversalEntries,
  spreadTax,
  type CreditGrant,
  type LedgerEntry,
} from '../../domain/credits/index.ts';

// The one writer of the credit ledger. Every function runs in its caller's transaction and first
// locks the tenant's grants of the currency (creditLedgerRepository.lockGrants), so entries of one
// tenant are written one writer at a time, and the entries commit or roll back with the invoice
// or payment that caused them: a crash between a burn and its invoice loses or doubles nothing.
// Expired credit is written off (expiry entries) whenever the ledger is touched, before anything
// else reads what is left.

const asGrant = (g: CreditGrantRow): CreditGrant => ({
  id: g.id,
  priority: g.priority,
  effectiveAt: g.effective_at,
  expiresAt: g.expires_at,
  appliesTo: g.applies_to,
  remainingMinor: g.remaining_minor,
});

const asEntry = (e: {
  kind: LedgerEntry['kind'];
  grant_id: string;
  amount_minor: bigint;
  at: Date;
  invoice_id: string | null;
  line_id: string | null;
}) => ({
  kind: e.kind,
  grantId: e.grant_id,
  amountMinor: e.amount_minor,
  at: e.at,
  ...(e.invoice_id ? { invoiceId: e.invoice_id } : {}),
  ...(e.line_id ? { lineId: e.line_id } : {}),
});

/** Locks the grants, writes what expired by `at`, and returns the grants and the ledger as they now are. */
async function touch(tx: Tx, tenantId: string, currency: string, at: Date) {
  const locked = await creditLedgerRepository.lockGrants(tx, tenantId, currency);
  const ledger: LedgerEntry[] = (await creditLedgerRepository.entries(tx, tenantId, currency)).map(asEntry);
  const grants = locked.map(asGrant);
  const expired = expiryEntries(grants, at);
  await appendChecked(tx, tenantId, ledger, expired);
  const expiredIds = new Set(expired.map((e) => e.grantId));
  return { ledger, grants: grants.map((g) => (expiredIds.has(g.id) ? { ...g, remainingMinor: 0n } : g)) };
}

async function appendChecked(tx: Tx, tenantId: string, ledger: LedgerEntry[], entries: readonly LedgerEntry[]) {
  if (entries.length === 0) return;
  checkAppend(ledger, entries);
  await creditLedgerRepository.append(tx, tenantId, entries);
  ledger.push(...entries);
}

/** Writes what expired by `at` (the ledger's periodic touch; a read of the balance does the same). */
export async function writeExpiries(tx: Tx, tenantId: string, currency: string, at: Date): Promise<void> {
  await touch(tx, tenantId, currency, at);
}

/**
 * Opens a grant with its first entry (of the grant's source kind). With an Idempotency-Key that
 * was used before, nothing is written and the first grant is returned with `created: false`.
 */
export async function openGrant(tx: Tx, g: NewGrant, at = new Date()): Promise<{ grant: CreditGrantRow; created: boolean }> {
  const { ledger } = await touch(tx, g.tenantId, g.currency, at);
  const id = await creditLedgerRepository.insertGrant(tx, g);
  if (id === null) {
    const first = g.idempotencyKey ? await creditLedgerRepository.grantByKey(tx, g.tenantId, g.idempotencyKey) : null;
    if (!first) throw new Error('a grant insert did nothing, yet no grant has its key');
    return { grant: first, created: false };
  }
  await appendChecked(tx, g.tenantId, ledger, [{ kind: g.source, grantId: id, amountMinor: g.amountMinor, at: g.effectiveAt }]);
  return { grant: (await creditLedgerRepository.grantById(tx, id))!, created: true };
}

/**
 * Applies the tenant's credit to a draft being finalized at `at`, after tax: the tax is spread over
 * the lines, allocateBurns decides which grant pays which line, and each burn is an entry naming
 * the invoice and the line. Returns `creditApplied`. A negative total is not paid by credit but
 * becomes credit: an invoice_credit grant of what the tenant is owed.
 */
export async function applyCreditToInvoice(tx: Tx, draft: InvoiceRow, totalMinor: bigint, at: Date): Promise<bigint> {
  if (totalMinor < 0n) {
    await openGrant(
      tx,
      {
        tenantId: draft.tenant_id,
        currency: draft.currency,
        source: 'invoice_credit',
        amountMinor: -totalMinor,
        priority: 0,
        effectiveAt: at,
        expiresAt: null,
        appliesTo: null,
        reason: `invoice ${draft.id} totalled less than zero`,
        invoiceId: draft.id,
      },
      at,
    );
    return 0n;
  }
  const { ledger, grants } = await touch(tx, draft.tenant_id, draft.currency, at);
  if (totalMinor === 0n || !grants.some((g) => g.remainingMinor > 0n)) return 0n;
  const lines = (await invoicesRepository.lines(tx, draft.id)).filter((l) => l.type !== 'credit');
  const subtotal = lines.reduce((sum, l) => sum + l.amount_minor, 0n);
  const payable = spreadTax(
    lines.map((l) => ({ lineId: l.id, meter: l.meter, amountMinor: l.amount_minor })),
    totalMinor - subtotal,
  );
  const burns = allocateBurns(grants, payable, at);
  await appendChecked(tx, draft.tenant_id, ledger, burnEntries(burns, draft.id, at));
  return creditApplied(burns);
}

/** Gives a voided invoice's burns back to their grants (lost again at once where a grant has expired meanwhile). */
export async function reverseInvoiceBurns(tx: Tx, invoice: InvoiceRow, at: Date): Promise<void> {
  const { ledger, grants } = await touch(tx, invoice.tenant_id, invoice.currency, at);
  await appendChecked(tx, invoice.tenant_id, ledger, reversalEntries(ledger, grants, invoice.id, at));
}

/** Money received beyond what an invoice owed (an overpayment, or payments of an invoice then voided): an overpayment grant. */
export async function creditReceivedMoney(
  tx: Tx,
  invoice: InvoiceRow,
  x: { amountMinor: bigint; paymentId: string | null; at: Date; why: string },
): Promise<void> {
  await openGrant(
    tx,
    {
      tenantId: invoice.tenant_id,
      currency: invoice.currency,
      source: 'overpayment',
      amountMinor: x.amountMinor,
      priority: 0,
      effectiveAt: x.at,
      expiresAt: null,
      appliesTo: null,
      reason: x.why,
      invoiceId: invoice.id,
      paymentId: x.paymentId,
    },
    x.at,
  );
}
