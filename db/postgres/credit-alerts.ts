import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';
import { creditLedgerRepository } from './credit-ledger-repository.ts';
import { raiseAlertIn } from './raise-alert.ts';
import { creditCrossings, type CreditCrossing } from '../../domain/credits/index.ts';
import { formatAmount, fromMinorUnits, toMinorUnits } from '../../domain/money/index.ts';

// Credit alerts (issue 17 §1): the ledger writer (credit-ledger.ts) runs every write of entries
// through watchCreditBalance. It holds the tenant's ledger lock for the currency, so the balance
// before and after a write are exact and no other write lands between them: of two writes that
// cross at once, the second sees the balance already below and raises nothing. The alert commits
// with the money write, or rolls back with it (a retried activity then crosses again, once).

const thresholdRow = z.object({ currency: z.string(), threshold: z.string().nullable() });

const SEVERITY: Record<CreditCrossing, 'warning' | 'critical'> = { credit_low: 'warning', credit_depleted: 'critical' };

/** Writes entries through `write`, then raises the alerts of the crossings it made; an alert failure never fails the write. */
export async function watchCreditBalance(tx: Tx, tenantId: string, currency: string, write: () => Promise<void>): Promise<void> {
  // Savepoints: a failing read or alert rolls back to one and leaves the money write as it is.
  const before = await tx.transaction((sp) => creditLedgerRepository.remaining(sp, tenantId, currency)).catch(() => null);
  await write();
  if (before === null) return;
  await tx.transaction((sp) => raiseCrossings(sp, tenantId, currency, before)).catch(() => undefined);
}

async function raiseCrossings(tx: Tx, tenantId: string, currency: string, beforeMinor: bigint) {
  const after = await creditLedgerRepository.remaining(tx, tenantId, currency);
  if (after >= beforeMinor) return; // only a fall crosses: skips the threshold read on grants
  const tenant = await tx.maybeOne(sql.type(thresholdRow)`
    SELECT currency, credit_low_threshold::text AS threshold FROM tenants WHERE id = ${tenantId}`);
  // The threshold is in the tenant's currency; a ledger in another currency can only be depleted.
  const threshold = tenant?.threshold != null && tenant.currency === currency ? toMinorUnits(tenant.threshold, currency) : null;
  for (const kind of creditCrossings(beforeMinor, after, threshold)) {
    const windowStart = await crossingInstant(tx, tenantId, kind);
    const balance = formatAmount(fromMinorUnits(after, currency), currency);
    const limit = kind === 'credit_low' ? formatAmount(fromMinorUnits(threshold!, currency), currency) : formatAmount('0', currency);
    await raiseAlertIn(tx, {
      tenantId,
      meter: null,
      kind,
      severity: SEVERITY[kind],
      windowStart,
      windowEnd: new Date(windowStart.getTime() + 1),
      observed: balance,
      expected: limit,
      currency,
      message:
        kind === 'credit_low'
          ? `the credit balance fell below ${limit} ${currency} (now ${balance} ${currency})`
          : `the credit balance in ${currency} is used up (now ${balance} ${currency})`,
      details: { balanceBefore: formatAmount(fromMinorUnits(beforeMinor, currency), currency), balanceAfter: balance },
    });
  }
}

/**
 * The crossing's window, its dedup key: the millisecond it happened, and never at or before the
 * end of the tenant's previous alert of the kind, so two crossings within one millisecond (a
 * grant and a burn in a row) are two alerts. Crossings of a tenant are serialized by the ledger lock.
 */
async function crossingInstant(tx: Tx, tenantId: string, kind: CreditCrossing): Promise<Date> {
  return tx.oneFirst(sql.type(z.object({ at: z.date() }))`
    SELECT greatest(date_trunc('milliseconds', clock_timestamp()), max(window_end)) AS at
    FROM alerts WHERE tenant_id = ${tenantId} AND kind = ${kind}`);
}
