import type { Tx } from './tenant-scope.ts';
import { creditLedgerRepository, type CreditGrantRow, type NewGrant } from './credit-ledger-repository.ts';
import { invoicesRepository, type InvoiceRow } from './invoices-repository.ts';
import { watchCreditBalance } from './credit-alerts.ts';
import {
  allocateBurns,
  burnEntries,
  checkAppendTo,
  creditApplied,
  expiryEntries,
  grantIsLive,
  includedGrantTerms,
  reversalEntries,
  spreadTax,
  type CreditGrant,
  type GrantState,
  type IncludedCredits,
  type LedgerEntry,
} from '../../domain/credits/index.ts';

// The one writer of the credit ledger. Every function runs in its caller's transaction and first
// takes the tenant's ledger lock for the currency (creditLedgerRepository.lock), so entries of one
// tenant are written one writer at a time, and the entries commit or roll back with the invoice
// or payment that caused them: a crash between a burn and its invoice loses or doubles nothing.
// Expired credit is written off (expiry entries) whenever the ledger is touched, before anything
// else reads what is left. Each touch reads the open grants (their sums are kept on the grant
// rows), never the tenant's history of entries.

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

/** Every grant row exists with its opening entry (both are written in one transaction). */
const statesOf = (grants: readonly CreditGrant[]): Map<string, GrantState> =>
  new Map(grants.map((g) => [g.id, { opened: true, remainingMinor: g.remainingMinor }]));

/**
 * Locks the ledger, writes what expired by `at` (but not yet what `keep` still needs: the grants
 * that pay an invoice whose window they were live in), and returns the grants with credit left.
 */
async function touch(tx: Tx, tenantId: string, currency: string, at: Date, keep: (g: CreditGrant) => boolean = () => false) {
  await creditLedgerRepository.lock(tx, tenantId, currency);
  const open = (await creditLedgerRepository.openGrants(tx, tenantId, currency)).map(asGrant);
  const states = statesOf(open);
  const expired = expiryEntries(
    open.filter((g) => !keep(g)),
    at,
  );
  await appendChecked(tx, { tenantId, currency }, states, expired);
  const expiredIds = new Set(expired.map((e) => e.grantId));
  return { states, grants: open.filter((g) => !expiredIds.has(g.id)) };
}

/** Every entry of the ledger is written here, so this is where a fall of the balance raises its credit alerts. */
async function appendChecked(
  tx: Tx,
  ledger: { tenantId: string; currency: string },
  states: Map<string, GrantState>,
  entries: readonly LedgerEntry[],
) {
  if (entries.length === 0) return;
  checkAppendTo(states, entries);
  await watchCreditBalance(tx, ledger.tenantId, ledger.currency, () => creditLedgerRepository.append(tx, ledger.tenantId, entries));
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
  const { states } = await touch(tx, g.tenantId, g.currency, at);
  const id = await creditLedgerRepository.insertGrant(tx, g);
  if (id === null) {
    const first = g.idempotencyKey
      ? await creditLedgerRepository.grantByKey(tx, g.tenantId, g.idempotencyKey)
      : g.subscriptionId && g.periodStart
        ? await creditLedgerRepository.includedGrant(tx, g.subscriptionId, g.periodStart)
        : null;
    if (!first) throw new Error('a grant insert did nothing, yet no grant has its key');
    return { grant: first, created: false };
  }
  // An included grant opens with a `grant` entry: the grant's source tells where it came from.
  const kind = g.source === 'included' ? 'grant' : g.source;
  await appendChecked(tx, g, states, [{ kind, grantId: id, amountMinor: g.amountMinor, at: g.effectiveAt }]);
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
  // Credit live at the window's last instant pays for it even if it has expired by now; what it
  // leaves is written off right after (see allocateBurns' servedUntil).
  const servedUntil = new Date(draft.period_end.getTime() - 1);
  const { states, grants } = await touch(tx, draft.tenant_id, draft.currency, at, (g) => grantIsLive(g, servedUntil));
  const payers = grants.filter((g) => g.remainingMinor > 0n);
  let applied = 0n;
  if (totalMinor > 0n && payers.length > 0) {
    const lines = (await invoicesRepository.lines(tx, draft.id)).filter((l) => l.type !== 'credit');
    const subtotal = lines.reduce((sum, l) => sum + l.amount_minor, 0n);
    const payable = spreadTax(
      lines.map((l) => ({ lineId: l.id, meter: l.meter, amountMinor: l.amount_minor })),
      totalMinor - subtotal,
    );
    const burns = allocateBurns(payers, payable, at, servedUntil);
    await appendChecked(tx, { tenantId: draft.tenant_id, currency: draft.currency }, states, burnEntries(burns, draft.id, at));
    applied = creditApplied(burns);
  }
  // Now what had expired by `at` and was kept for this invoice.
  const left = payers.map((g) => ({ ...g, remainingMinor: states.get(g.id)!.remainingMinor }));
  await appendChecked(tx, { tenantId: draft.tenant_id, currency: draft.currency }, states, expiryEntries(left, at));
  return applied;
}

/** Gives a voided invoice's burns back to their grants (lost again at once where a grant has expired meanwhile). */
export async function reverseInvoiceBurns(tx: Tx, invoice: InvoiceRow, at: Date): Promise<void> {
  await touch(tx, invoice.tenant_id, invoice.currency, at);
  const entries: LedgerEntry[] = (await creditLedgerRepository.invoiceEntries(tx, invoice.id)).map(asEntry);
  const payers = [...new Set(entries.filter((e) => e.kind === 'burn').map((e) => e.grantId))];
  if (payers.length === 0) return;
  const grants = (await creditLedgerRepository.grantsByIds(tx, payers)).map(asGrant);
  await appendChecked(
    tx,
    { tenantId: invoice.tenant_id, currency: invoice.currency },
    statesOf(grants),
    reversalEntries(entries, grants, invoice.id, at),
  );
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

/**
 * Grants a subscription's included credits for the period starting at `period.start`, once per
 * (subscription, period start): a repeat (a retried activity, a replayed workflow) finds the
 * first grant and writes nothing. Returns the grant and whether this call opened it.
 */
export async function grantIncludedCredits(
  tx: Tx,
  x: {
    tenantId: string;
    currency: string;
    subscriptionId: string;
    planCode: string;
    credits: IncludedCredits;
    graceSeconds: number;
    period: { start: Date; end: Date };
    at: Date;
  },
): Promise<{ grant: CreditGrantRow; created: boolean }> {
  await creditLedgerRepository.lock(tx, x.tenantId, x.currency);
  const first = await creditLedgerRepository.includedGrant(tx, x.subscriptionId, x.period.start);
  if (first) return { grant: first, created: false };
  const terms = includedGrantTerms(x.credits, x.currency, x.period, x.graceSeconds);
  return openGrant(
    tx,
    {
      tenantId: x.tenantId,
      currency: x.currency,
      source: 'included',
      ...terms,
      priority: 0,
      appliesTo: null,
      reason: `included in plan ${x.planCode} for the period from ${x.period.start.toISOString()}`,
      subscriptionId: x.subscriptionId,
      periodStart: x.period.start,
    },
    x.at,
  );
}
