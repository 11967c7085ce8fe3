import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';

// Tenant credit (tenant-owned, RLS): a balance per (tenant, currency) and the entries that moved
// it. Amounts are bigint minor units. Each entry is written once (unique per payment for an
// overpayment, per invoice for a void or an application); a second write is a bug and fails.

export const CREDIT_ENTRY_KINDS = ['overpayment', 'voided', 'applied'] as const;
export type CreditEntryKind = (typeof CREDIT_ENTRY_KINDS)[number];

export const creditBalanceRow = z.object({ tenant_id: z.string(), currency: z.string(), balance_minor: z.bigint(), updated_at: z.date() });
export type CreditBalanceRow = z.infer<typeof creditBalanceRow>;

export const creditEntryRow = z.object({
  id: z.string(),
  tenant_id: z.string(),
  currency: z.string(),
  kind: z.enum(CREDIT_ENTRY_KINDS),
  amount_minor: z.bigint(),
  invoice_id: z.string(),
  payment_id: z.string().nullable(),
  created_at: z.date(),
});
export type CreditEntryRow = z.infer<typeof creditEntryRow>;

const entryColumns = sql.fragment`id, tenant_id, currency, kind, amount_minor, invoice_id, payment_id, created_at`;

export const creditsRepository = {
  /** The balance, locked until the transaction ends; zero (and nothing locked) when the tenant never had credit. */
  balanceForUpdate: async (tx: Tx, tenantId: string, currency: string): Promise<bigint> =>
    (await tx.maybeOneFirst(sql.type(z.object({ balance_minor: z.bigint() }))`
      SELECT balance_minor FROM tenant_credits WHERE tenant_id = ${tenantId} AND currency = ${currency} FOR UPDATE`)) ?? 0n,

  /** The balance, locked until the transaction ends (created at zero when the tenant has none). */
  lockBalance: async (tx: Tx, tenantId: string, currency: string): Promise<bigint> => {
    await tx.query(sql.unsafe`INSERT INTO tenant_credits (tenant_id, currency) VALUES (${tenantId}, ${currency}) ON CONFLICT DO NOTHING`);
    return tx.oneFirst(sql.type(z.object({ balance_minor: z.bigint() }))`
      SELECT balance_minor FROM tenant_credits WHERE tenant_id = ${tenantId} AND currency = ${currency} FOR UPDATE`);
  },

  /**
   * Moves the balance by an entry (positive: credit granted; negative: credit applied) and
   * records it. The balance's CHECK refuses to go below zero.
   */
  addEntry: async (
    tx: Tx,
    e: { tenantId: string; currency: string; kind: CreditEntryKind; amountMinor: bigint; invoiceId: string; paymentId?: string },
  ) => {
    await creditsRepository.lockBalance(tx, e.tenantId, e.currency);
    const entry = await tx.one(sql.type(creditEntryRow)`
      INSERT INTO tenant_credit_entries (tenant_id, currency, kind, amount_minor, invoice_id, payment_id)
      VALUES (${e.tenantId}, ${e.currency}, ${e.kind}, ${e.amountMinor}, ${e.invoiceId}, ${e.paymentId ?? null})
      RETURNING ${entryColumns}`);
    await tx.query(sql.unsafe`
      UPDATE tenant_credits SET balance_minor = balance_minor + ${e.amountMinor}, updated_at = now()
      WHERE tenant_id = ${e.tenantId} AND currency = ${e.currency}`);
    return entry;
  },

  balances: (tx: Tx, tenantId: string) =>
    tx.any(sql.type(creditBalanceRow)`
      SELECT tenant_id, currency, balance_minor, updated_at FROM tenant_credits WHERE tenant_id = ${tenantId} ORDER BY currency`),

  /** The newest entries first. */
  entries: (tx: Tx, tenantId: string, limit: number) =>
    tx.any(sql.type(creditEntryRow)`
      SELECT ${entryColumns} FROM tenant_credit_entries WHERE tenant_id = ${tenantId} ORDER BY created_at DESC, id LIMIT ${limit}`),
};
