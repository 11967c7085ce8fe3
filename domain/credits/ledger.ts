import { grantIsLive, type CreditGrant } from './grant-order.ts';
import type { Burn } from './burn-allocation.ts';

/**
 * The credit ledger. Every change of a tenant's credit is one entry, and nothing edits an entry:
 * a correction is another entry. A grant's remaining credit is the sum of its entries, and the
 * balance is the sum of all entries.
 *
 * - `grant`, `overpayment`, `invoice_credit`: the entry that opens a grant (positive). The kind
 *   says where the credit came from: given, paid too much, or an invoice whose total was negative.
 * - `burn`: credit paying for an invoice line (negative).
 * - `expiry`: what was left when the grant expired (negative).
 * - `void`: what was left when someone voided the grant (negative).
 * - `reversal`: a burn given back because its invoice was voided (positive).
 */
export const LEDGER_ENTRY_KINDS = ['grant', 'burn', 'expiry', 'void', 'reversal', 'overpayment', 'invoice_credit'] as const;
export type LedgerEntryKind = (typeof LEDGER_ENTRY_KINDS)[number];

const OPENING_KINDS: readonly LedgerEntryKind[] = ['grant', 'overpayment', 'invoice_credit'];
const POSITIVE_KINDS: readonly LedgerEntryKind[] = [...OPENING_KINDS, 'reversal'];

export interface LedgerEntry {
  kind: LedgerEntryKind;
  grantId: string;
  /** Signed minor units: positive adds credit, negative takes it. */
  amountMinor: bigint;
  at: Date;
  invoiceId?: string;
  lineId?: string;
}

export class LedgerError extends Error {
  override name = 'LedgerError';
}

/** The sign an entry's kind demands; a zero entry is refused, since it records nothing. */
export function checkEntrySign(entry: Pick<LedgerEntry, 'kind' | 'amountMinor'>): void {
  const positive = POSITIVE_KINDS.includes(entry.kind);
  if (entry.amountMinor === 0n || entry.amountMinor > 0n !== positive) {
    throw new LedgerError(`a ${entry.kind} entry must be ${positive ? 'positive' : 'negative'}, not ${entry.amountMinor}`);
  }
}

export function balanceOf(entries: readonly Pick<LedgerEntry, 'amountMinor'>[]): bigint {
  return entries.reduce((sum, e) => sum + e.amountMinor, 0n);
}

export function remainingByGrant(entries: readonly LedgerEntry[]): Map<string, bigint> {
  const remaining = new Map<string, bigint>();
  for (const e of entries) remaining.set(e.grantId, (remaining.get(e.grantId) ?? 0n) + e.amountMinor);
  return remaining;
}

/** What the append checks need to know of a grant: whether its opening entry exists, and what is left of it. */
export interface GrantState {
  opened: boolean;
  remainingMinor: bigint;
}

/**
 * Checks `next` against the grants as they stand (`state`, updated in place as each entry
 * passes): the right sign, a grant opened once and before anything else touches it, and no
 * grant's remaining credit below zero. A grant missing from `state` is one not yet opened.
 * Throws `LedgerError`.
 */
export function checkAppendTo(state: Map<string, GrantState>, next: readonly LedgerEntry[]): void {
  for (const e of next) {
    checkEntrySign(e);
    const isOpening = OPENING_KINDS.includes(e.kind);
    const grant = state.get(e.grantId) ?? { opened: false, remainingMinor: 0n };
    if (isOpening === grant.opened) {
      throw new LedgerError(isOpening ? `grant ${e.grantId} is already open` : `grant ${e.grantId} has no opening entry`);
    }
    const after = grant.remainingMinor + e.amountMinor;
    if (after < 0n) throw new LedgerError(`grant ${e.grantId} would go below zero (${after})`);
    state.set(e.grantId, { opened: true, remainingMinor: after });
  }
}

/** The state of each grant a ledger names: the sums checkAppendTo starts from. */
export function grantStates(ledger: readonly LedgerEntry[]): Map<string, GrantState> {
  const remaining = remainingByGrant(ledger);
  const opened = new Set(ledger.filter((e) => OPENING_KINDS.includes(e.kind)).map((e) => e.grantId));
  return new Map([...remaining].map(([id, remainingMinor]) => [id, { opened: opened.has(id), remainingMinor }]));
}

/** checkAppendTo against the whole ledger so far (what the property tests state the rules with). */
export function checkAppend(ledger: readonly LedgerEntry[], next: readonly LedgerEntry[]): void {
  checkAppendTo(grantStates(ledger), next);
}

/** Entries with the balance after each, in order: what the ledger route lists as `balanceAfter`. */
export function withBalanceAfter<E extends Pick<LedgerEntry, 'amountMinor'>>(entries: readonly E[]): (E & { balanceAfterMinor: bigint })[] {
  let balance = 0n;
  return entries.map((e) => {
    balance += e.amountMinor;
    return { ...e, balanceAfterMinor: balance };
  });
}

export function burnEntries(burns: readonly Burn[], invoiceId: string, at: Date): LedgerEntry[] {
  return burns.map((b) => ({ kind: 'burn', grantId: b.grantId, amountMinor: -b.amountMinor, at, invoiceId, lineId: b.lineId }));
}

/** An expiry entry for each grant that has expired by `at` and still has credit. */
export function expiryEntries(grants: readonly CreditGrant[], at: Date): LedgerEntry[] {
  return grants
    .filter((g) => g.expiresAt !== null && g.expiresAt.getTime() <= at.getTime() && g.remainingMinor > 0n)
    .map((g) => ({ kind: 'expiry', grantId: g.id, amountMinor: -g.remainingMinor, at: g.expiresAt! }));
}

/** Voids what is left of a grant; nothing when nothing is left. */
export function voidEntries(grant: CreditGrant, at: Date): LedgerEntry[] {
  return grant.remainingMinor > 0n ? [{ kind: 'void', grantId: grant.id, amountMinor: -grant.remainingMinor, at }] : [];
}

/**
 * Gives back an invoice's burns when it is voided, each to the grant it came from. A grant that
 * is no longer live at `at` (expired or voided meanwhile) takes the credit back and loses it again
 * in the same instant, so a void never revives credit its grant could no longer pay with; the
 * ledger still shows both. Burns already reversed are not reversed twice.
 */
export function reversalEntries(
  ledger: readonly LedgerEntry[],
  grants: readonly CreditGrant[],
  invoiceId: string,
  at: Date,
): LedgerEntry[] {
  const reversed = new Set(ledger.filter((e) => e.kind === 'reversal' && e.invoiceId === invoiceId).map((e) => `${e.grantId}/${e.lineId}`));
  const live = new Map(grants.map((g) => [g.id, grantIsLive(g, at) && !ledger.some((e) => e.kind === 'void' && e.grantId === g.id)]));
  const out: LedgerEntry[] = [];
  for (const burn of ledger) {
    if (burn.kind !== 'burn' || burn.invoiceId !== invoiceId || reversed.has(`${burn.grantId}/${burn.lineId}`)) continue;
    const amount = -burn.amountMinor;
    out.push({ kind: 'reversal', grantId: burn.grantId, amountMinor: amount, at, invoiceId, lineId: burn.lineId });
    if (!live.get(burn.grantId)) {
      const kind = ledger.some((e) => e.kind === 'void' && e.grantId === burn.grantId) ? 'void' : 'expiry';
      out.push({ kind, grantId: burn.grantId, amountMinor: -amount, at, invoiceId, lineId: burn.lineId });
    }
  }
  return out;
}
