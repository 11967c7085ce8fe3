import { decimalStringProblem, minorUnitDigits, storedAmountProblem, toDecimal, toMinorUnits } from '../money/index.ts';

/** A plan's credits included in each period: `amount` in the plan's currency; `rollover` keeps what a period leaves. */
export interface IncludedCredits {
  amount: string;
  rollover: boolean;
}

/** Why `amount` cannot be an amount of credit in `currency` (a grant's, a plan's included credits): a message for the field, or null. */
export function creditAmountProblem(amount: string, currency: string, what: string): string | null {
  const problem = decimalStringProblem(amount, { nonNegative: true });
  if (problem) return problem;
  const value = toDecimal(amount);
  if (value.lte(0)) return 'must be greater than 0';
  const digits = minorUnitDigits(currency);
  if (value.decimalPlaces() > digits) return `must have at most ${digits} decimals in ${currency}`;
  return storedAmountProblem(value, currency, what);
}

/**
 * The grant a period's included credits open: effective at the period's start; without rollover
 * it expires when the period is invoiced (its end plus the plan's grace period for late events),
 * so that it pays the period's own invoice (allocateBurns' `servedUntil`) and, what that invoice
 * leaves, is written off then, never carried into the next period.
 */
export function includedGrantTerms(credits: IncludedCredits, currency: string, period: { start: Date; end: Date }, graceSeconds: number) {
  return {
    amountMinor: toMinorUnits(toDecimal(credits.amount), currency),
    effectiveAt: period.start,
    expiresAt: credits.rollover ? null : new Date(period.end.getTime() + graceSeconds * 1000),
  };
}
