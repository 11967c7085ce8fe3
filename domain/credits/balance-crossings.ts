/** The credit alert kinds a ledger write can raise. */
export type CreditCrossing = 'credit_low' | 'credit_depleted';

/**
 * The crossings of one ledger write, from the balance before it to the balance after it (minor
 * units): credit_low when it went from at or above the threshold to below it, credit_depleted
 * when it went from above zero to zero or below. A balance that stays below raises nothing, so
 * each crossing is raised once; a grant that lifts it back makes the next fall a new crossing.
 */
export function creditCrossings(beforeMinor: bigint, afterMinor: bigint, thresholdMinor: bigint | null): CreditCrossing[] {
  const crossings: CreditCrossing[] = [];
  if (thresholdMinor !== null && beforeMinor >= thresholdMinor && afterMinor < thresholdMinor) crossings.push('credit_low');
  if (beforeMinor > 0n && afterMinor <= 0n) crossings.push('credit_depleted');
  return crossings;
}
