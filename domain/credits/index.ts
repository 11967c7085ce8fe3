export { compareBurnOrder, grantIsLive } from './grant-order.ts';
export type { CreditGrant } from './grant-order.ts';
export { spreadTax } from './line-shares.ts';
export type { ChargedLine, PayableLine } from './line-shares.ts';
export { allocateBurns, creditApplied } from './burn-allocation.ts';
export type { Burn } from './burn-allocation.ts';
export {
  LEDGER_ENTRY_KINDS,
  LedgerError,
  balanceOf,
  burnEntries,
  checkAppend,
  checkAppendTo,
  grantStates,
  checkEntrySign,
  expiryEntries,
  remainingByGrant,
  reversalEntries,
  voidEntries,
  withBalanceAfter,
} from './ledger.ts';
export type { GrantState, LedgerEntry, LedgerEntryKind } from './ledger.ts';
export { creditAmountProblem, includedGrantTerms } from './included-credits.ts';
export type { IncludedCredits } from './included-credits.ts';
export { creditCrossings } from './balance-crossings.ts';
export type { CreditCrossing } from './balance-crossings.ts';
