import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';
import { ts, tsOrNull } from './sql.ts';
import { LEDGER_ENTRY_KINDS, type LedgerEntry } from '../../domain/credits/index.ts';

// Credit grants and the ledger of their entries (tenant-owned, RLS; see migration 0028). SQL only:
// which entries to write is decided by domain/credits, and credit-ledger.ts writes them.

export const GRANT_SOURCES = ['grant', 'overpayment', 'invoice_credit'] as const;
export type GrantSource = (typeof GRANT_SOURCES)[number];

export const creditGrantRow = z.object({
  id: z.string(),
  tenant_id: z.string(),
  currency: z.string(),
  source: z.enum(GRANT_SOURCES),
  amount_minor: z.bigint(),
  priority: z.number(),
  effective_at: z.date(),
  expires_at: z.date().nullable(),
  applies_to: z.array(z.string()).nullable(),
  reason: z.string(),
  idempotency_key: z.string().nullable(),
  invoice_id: z.string().nullable(),
  payment_id: z.string().nullable(),
  created_at: z.date(),
  remaining_minor: z.bigint(),
});
export type CreditGrantRow = z.infer<typeof creditGrantRow>;

export const ledgerEntryRow = z.object({
  id: z.string(),
  seq: z.bigint(),
  tenant_id: z.string(),
  grant_id: z.string(),
  kind: z.enum(LEDGER_ENTRY_KINDS),
  amount_minor: z.bigint(),
  at: z.date(),
  invoice_id: z.string().nullable(),
  line_id: z.string().nullable(),
  balance_after_minor: z.bigint(),
});
export type LedgerEntryRow = z.infer<typeof ledgerEntryRow>;

const grantColumns = sql.fragment`g.id, g.tenant_id, g.currency, g.source, g.amount_minor, g.priority, g.effective_at, g.expires_at,
  g.applies_to, g.reason, g.idempotency_key, g.invoice_id, g.payment_id, g.created_at,
  (SELECT coalesce(sum(e.amount_minor), 0)::int8 FROM credit_ledger_entries e WHERE e.grant_id = g.id) AS remaining_minor`;

export type NewGrant = {
  tenantId: string;
  currency: string;
  source: GrantSource;
  amountMinor: bigint;
  priority: number;
  effectiveAt: Date;
  expiresAt: Date | null;
  appliesTo: readonly string[] | null;
  reason: string;
  idempotencyKey?: string | null;
  invoiceId?: string | null;
  paymentId?: string | null;
  createdBy?: string | null;
};

export const creditLedgerRepository = {
  /**
   * Inserts a grant, or returns null when its Idempotency-Key was used before. A concurrent insert
   * of the same key waits on the unique index and then does nothing, so both see one grant.
   */
  insertGrant: (tx: Tx, g: NewGrant) =>
    tx.maybeOneFirst(sql.type(z.object({ id: z.string() }))`
      INSERT INTO credit_grants (tenant_id, currency, source, amount_minor, priority, effective_at, expires_at, applies_to, reason,
        idempotency_key, invoice_id, payment_id, created_by)
      VALUES (${g.tenantId}, ${g.currency}, ${g.source}, ${g.amountMinor}, ${g.priority}, ${ts(g.effectiveAt)}, ${tsOrNull(g.expiresAt)},
        ${g.appliesTo === null ? null : sql.array([...g.appliesTo], 'text')}, ${g.reason}, ${g.idempotencyKey ?? null},
        ${g.invoiceId ?? null}, ${g.paymentId ?? null}, ${g.createdBy ?? null})
      ON CONFLICT DO NOTHING
      RETURNING id`),

  grantByKey: (tx: Tx, tenantId: string, key: string) =>
    tx.maybeOne(sql.type(creditGrantRow)`
      SELECT ${grantColumns} FROM credit_grants g WHERE g.tenant_id = ${tenantId} AND g.idempotency_key = ${key}`),

  grantById: (tx: Tx, id: string) => tx.maybeOne(sql.type(creditGrantRow)`SELECT ${grantColumns} FROM credit_grants g WHERE g.id = ${id}`),

  /** A tenant's grants in a currency, oldest first. */
  grants: (tx: Tx, tenantId: string, currency: string) =>
    tx.any(sql.type(creditGrantRow)`
      SELECT ${grantColumns} FROM credit_grants g WHERE g.tenant_id = ${tenantId} AND g.currency = ${currency} ORDER BY g.created_at, g.id`),

  /**
   * Locks a tenant's grants in a currency (in id order, so two writers never wait on each other
   * crosswise) and returns them with what the ledger says is left. Everything that writes entries
   * holds these locks until its transaction ends: two invoices of one tenant cannot spend the same
   * credit, a void cannot give back a burn while it is being made.
   */
  lockGrants: async (tx: Tx, tenantId: string, currency: string) => {
    await tx.query(sql.unsafe`
      SELECT id FROM credit_grants WHERE tenant_id = ${tenantId} AND currency = ${currency} ORDER BY id FOR UPDATE`);
    return creditLedgerRepository.grants(tx, tenantId, currency);
  },

  /** The entries of the grants of a tenant in a currency, in ledger order. */
  entries: (tx: Tx, tenantId: string, currency: string) =>
    tx.any(sql.type(ledgerEntryRow)`
      SELECT e.id, e.seq, e.tenant_id, e.grant_id, e.kind, e.amount_minor, e.at, e.invoice_id, e.line_id,
        sum(e.amount_minor) OVER (ORDER BY e.seq)::int8 AS balance_after_minor
      FROM credit_ledger_entries e JOIN credit_grants g ON g.id = e.grant_id
      WHERE e.tenant_id = ${tenantId} AND g.currency = ${currency} ORDER BY e.seq`),

  /** One page of a tenant's ledger in order, after `afterSeq`, with the balance after each entry. */
  page: (tx: Tx, tenantId: string, afterSeq: bigint, limit: number) =>
    tx.any(sql.type(ledgerEntryRow)`
      SELECT * FROM (
        SELECT e.id, e.seq, e.tenant_id, e.grant_id, e.kind, e.amount_minor, e.at, e.invoice_id, e.line_id,
          sum(e.amount_minor) OVER (ORDER BY e.seq)::int8 AS balance_after_minor
        FROM credit_ledger_entries e WHERE e.tenant_id = ${tenantId}
      ) l WHERE l.seq > ${afterSeq} ORDER BY l.seq LIMIT ${limit}`),

  append: async (tx: Tx, tenantId: string, entries: readonly LedgerEntry[]) => {
    for (const e of entries) {
      await tx.query(sql.unsafe`
        INSERT INTO credit_ledger_entries (tenant_id, grant_id, kind, amount_minor, at, invoice_id, line_id)
        VALUES (${tenantId}, ${e.grantId}, ${e.kind}, ${e.amountMinor}, ${ts(e.at)}, ${e.invoiceId ?? null}, ${e.lineId ?? null})`);
    }
  },
};
