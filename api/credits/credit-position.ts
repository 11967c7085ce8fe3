import type { Tx } from '../../db/postgres/tenant-scope.ts';
import { subscriptionsRepository } from '../../db/postgres/subscriptions-repository.ts';
import { creditLedgerRepository } from '../../db/postgres/credit-ledger-repository.ts';
import { writeExpiries } from '../../db/postgres/credit-ledger.ts';
import { toDecimal, toMinorUnits, Decimal } from '../../domain/money/index.ts';
import type { Meter } from '../../domain/metering/index.ts';
import type { createEstimateService } from '../subscriptions/estimate-service.ts';

type Estimates = ReturnType<typeof createEstimateService>;

/**
 * A tenant's credit at `at`, in minor units of its currency: the ledger's totals (expiries due
 * written first) and the usage of its open periods so far, priced exactly as their estimate (and
 * so their invoice) prices them. `more` adds quantities to meters' usage (meter code → quantity):
 * the position once they are used. The balance route and credit-mode authorization both read it
 * here, so what a customer sees as `available` is what authorization spends. `meters` are read
 * before the caller's transaction (see estimateIn).
 */
export async function creditPosition(
  tx: Tx,
  estimates: Estimates,
  input: { tenantId: string; meters: readonly Meter[]; currency: string; at: Date; more?: ReadonlyMap<string, string> },
) {
  const { tenantId, currency, at } = input;
  await writeExpiries(tx, tenantId, currency, at);
  const [totals, active, pastDue] = await Promise.all([
    creditLedgerRepository.totals(tx, tenantId, currency),
    subscriptionsRepository.list(tx, { tenantId, status: 'active', limit: 1000, offset: 0 }),
    subscriptionsRepository.list(tx, { tenantId, status: 'past_due', limit: 1000, offset: 0 }),
  ]);
  let pending = new Decimal(0);
  for (const sub of [...active, ...pastDue].filter((s) => s.current_period_start && s.current_period_end)) {
    pending = pending.plus(toDecimal((await estimates.estimateIn(tx, sub.id, input.meters, at, input.more)).total));
  }
  const pendingMinor = toMinorUnits(pending, currency);
  return { totals, pendingMinor, availableMinor: totals.remaining - pendingMinor };
}
