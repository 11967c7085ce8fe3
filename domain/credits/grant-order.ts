/**
 * A credit grant as the burn rules see it. Amounts are minor units of the grant's currency;
 * `remainingMinor` is what the ledger says is left (see `ledger.ts`).
 */
export interface CreditGrant {
  id: string;
  /** Lower numbers burn first. */
  priority: number;
  effectiveAt: Date;
  /** Exclusive: at this instant the grant no longer pays. `null` never expires. */
  expiresAt: Date | null;
  /** Meter codes the grant may pay for; `null` pays for any line, base fee and tax included. */
  appliesTo: readonly string[] | null;
  remainingMinor: bigint;
}

/** Whether the grant may pay for something at `at`: `[effectiveAt, expiresAt)`. */
export function grantIsLive(grant: Pick<CreditGrant, 'effectiveAt' | 'expiresAt'>, at: Date): boolean {
  return grant.effectiveAt.getTime() <= at.getTime() && (grant.expiresAt === null || at.getTime() < grant.expiresAt.getTime());
}

/**
 * The burn order: priority, then the earliest expiry (a grant that never expires goes last),
 * then the oldest grant, then the id, so that two equal grants always burn in the same order.
 */
export function compareBurnOrder(a: CreditGrant, b: CreditGrant): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const expiryA = a.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const expiryB = b.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  if (expiryA !== expiryB) return expiryA < expiryB ? -1 : 1;
  if (a.effectiveAt.getTime() !== b.effectiveAt.getTime()) return a.effectiveAt.getTime() - b.effectiveAt.getTime();
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
