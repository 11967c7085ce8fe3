import { toScaled } from './decimal.ts';

/** What the Limits card needs of a limit (the API's `UsageLimit`). */
export type LimitFigures = { limit: string; used: string; reserved: string; createdBy: 'admin' | 'customer' };

/** Parts of a limit's bar, in per mille of the limit: usage, then open reservations; `over` past the limit. */
export type LimitBar = { used: number; reserved: number; over: boolean };

const PER_MILLE = 1000n;
const clamp = (v: bigint, hi: bigint) => (v < 0n ? 0n : v > hi ? hi : v);

/**
 * The bar of a limit, computed from the decimal strings exactly (bigint at 12 places); only the
 * rounded per-mille widths become numbers. Usage past the limit fills the bar and sets `over`;
 * reservations take what usage leaves. A zero limit is full as soon as anything is used or reserved.
 */
export function limitBar(l: Pick<LimitFigures, 'limit' | 'used' | 'reserved'>): LimitBar {
  const limit = toScaled(l.limit);
  const used = toScaled(l.used);
  const reserved = toScaled(l.reserved);
  const over = used + reserved > limit;
  if (limit <= 0n) return { used: used > 0n ? 1000 : 0, reserved: used <= 0n && reserved > 0n ? 1000 : 0, over };
  const usedShare = clamp((used * PER_MILLE) / limit, PER_MILLE);
  const both = clamp(((used + reserved) * PER_MILLE) / limit, PER_MILLE);
  return { used: Number(usedShare), reserved: Number(both - usedShare), over };
}

/** Whether this viewer gets a delete button: an admin for any limit, a customer for their own (the API decides again). */
export function mayDeleteLimit(l: Pick<LimitFigures, 'createdBy'>, role: string | undefined): boolean {
  return role === 'admin' || (role === 'customer' && l.createdBy === 'customer');
}

/** Who may add limits: an admin any, a customer their own tighter caps. */
export const mayAddLimits = (role: string | undefined) => role === 'admin' || role === 'customer';
