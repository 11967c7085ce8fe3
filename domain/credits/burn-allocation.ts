import { compareBurnOrder, grantIsLive, type CreditGrant } from './grant-order.ts';
import type { PayableLine } from './line-shares.ts';

/** Credit from one grant paying for one invoice line, in minor units (always > 0). */
export interface Burn {
  grantId: string;
  lineId: string;
  amountMinor: bigint;
}

function min(...values: bigint[]): bigint {
  return values.reduce((a, b) => (b < a ? b : a));
}

/**
 * Which grants pay for which lines of an invoice issued at `at`, applied after tax.
 *
 * Grants burn in `compareBurnOrder`, each over the invoice's lines in order, so a grant pays for
 * as much as it can before the next one starts: the strict priority the grants were given, not
 * an optimum over them. A grant scoped by `appliesTo` pays only for its meters' lines (with their
 * share of the tax); an unscoped one pays for any line. Nothing pays more than a line's payable
 * amount, and all burns together never pay more than the invoice's total, so a negative line (a
 * proration credit) lowers what credit may pay. Grants not live at `at` pay nothing, unless
 * they were live at `servedUntil`, the invoiced window's last instant: credit that was live
 * while the usage happened pays for it, even when the invoice is issued after the grant expired
 * (a plan's included credits of a period, expiring at the period's end, pay that period's invoice).
 */
export function allocateBurns(grants: readonly CreditGrant[], lines: readonly PayableLine[], at: Date, servedUntil?: Date): Burn[] {
  let invoiceLeft = lines.reduce((sum, line) => sum + line.payableMinor, 0n);
  const lineLeft = lines.map((line) => (line.payableMinor > 0n ? line.payableMinor : 0n));
  const burns: Burn[] = [];
  const pays = (g: CreditGrant) => grantIsLive(g, at) || (servedUntil !== undefined && grantIsLive(g, servedUntil));
  const payers = grants.filter((g) => g.remainingMinor > 0n && pays(g)).sort(compareBurnOrder);
  for (const grant of payers) {
    let grantLeft = grant.remainingMinor;
    for (const [index, line] of lines.entries()) {
      if (grantLeft === 0n || invoiceLeft <= 0n) break;
      if (grant.appliesTo !== null && (line.meter === null || !grant.appliesTo.includes(line.meter))) continue;
      const take = min(grantLeft, lineLeft[index]!, invoiceLeft);
      if (take <= 0n) continue;
      burns.push({ grantId: grant.id, lineId: line.lineId, amountMinor: take });
      grantLeft -= take;
      lineLeft[index]! -= take;
      invoiceLeft -= take;
    }
  }
  return burns;
}

/** What the burns pay in total: the invoice's `creditApplied`. */
export function creditApplied(burns: readonly Burn[]): bigint {
  return burns.reduce((sum, burn) => sum + burn.amountMinor, 0n);
}
