/**
 * Tenant credit: money received beyond what an invoice owed (an overpayment, or payments of an
 * invoice later voided). It is applied to the tenant's next invoice after tax, as a `credit`
 * line: the invoice's total stays what was billed, `creditApplied` is what the balance paid, and
 * `amountDue = total − creditApplied` is what dunning collects. Amounts are minor units.
 */

/** The part of a balance an invoice of `totalMinor` takes: all of it, up to the total; none for a total of zero or less. */
export function creditToApply(totalMinor: bigint, balanceMinor: bigint): bigint {
  if (totalMinor <= 0n || balanceMinor <= 0n) return 0n;
  return balanceMinor < totalMinor ? balanceMinor : totalMinor;
}

/** What an invoice asks for once credit has been applied. */
export function amountDue(totalMinor: bigint, creditAppliedMinor: bigint): bigint {
  return totalMinor - creditAppliedMinor;
}
