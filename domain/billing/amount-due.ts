/**
 * What an invoice asks for once credit has paid part of it: credit applies after tax, so the total
 * stays what was billed, and `amountDue = total − creditApplied` is what dunning collects. Which
 * credit pays is decided by domain/credits. Amounts are minor units.
 */
export function amountDue(totalMinor: bigint, creditAppliedMinor: bigint): bigint {
  return totalMinor - creditAppliedMinor;
}
