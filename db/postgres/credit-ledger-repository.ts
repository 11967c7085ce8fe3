import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';
import { ts, tsOrNull } from './sql.ts';
import { LEDGER_ENTRY_KINDS, type LedgerEntry } from '../../domain/credits/index.ts';

// Credit grants and the ledger of their entries (tenant-owned, RLS; see migrations 0028, 0032).
// SQL only: which entries to write is decided by domain/credits, and credit-ledger.ts writes them.
// A grant row carries the sums of its entries (remaining, consumed, expired), kept by a trigger
// on each insert of an entry, so no read here loads the ledger's history to add it up.

export const GRANT_SOURCES = ['grant', 'overpayment', 'invoice_credit', 'included'] as const;
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
  consumed_minor: z.bigint(),
  expired_minor: z.bigint(),
  subscription_id: z.string().nullable(),
  period_start: z.date().nullable(),
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
  g.remaining_minor, g.consumed_minor, g.expired_minor, g.subscription_id, g.period_start`;

const entryColumns = sql.fragment`e.id, e.seq, e.tenant_id, e.grant_id, e.kind, e.amount_minor, e.at, e.invoice_id, e.line_id`;
const entryRow = ledgerEntryRow.omit({ balance_after_minor: true });

/**
 * The running balance is summed as numeric and read as text: entries that each fit a bigint may
 * add up past it (two grants near the largest amount), and that must read, not fail.
 */
const summedEntryRow = entryRow.extend({ balance_after_minor: z.string() });
const withBalance = (rows: readonly z.infer<typeof summedEntryRow>[]): LedgerEntryRow[] =>
  rows.map((r) => ({ ...r, balance_after_minor: BigInt(r.balance_after_minor) }));

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
  /** An included grant: the subscription and the period it was granted for (once per pair). */
  subscriptionId?: string | null;
  periodStart?: Date | null;
};

export const creditLedgerRepository = {
  /**
   * Inserts a grant, or returns null when its Idempotency-Key was used before. A concurrent insert
   * of the same key waits on the unique index and then does nothing, so both see one grant.
   */
  insertGrant: (tx: Tx, g: NewGrant) =>
    tx.maybeOneFirst(sql.type(z.object({ id: z.string() }))`
      INSERT INTO credit_grants (tenant_id, currency, source, amount_minor, priority, effective_at, expires_at, applies_to, reason,
        idempotency_key, invoice_id, payment_id, created_by, subscription_id, period_start)
      VALUES (${g.tenantId}, ${g.currency}, ${g.source}, ${g.amountMinor}, ${g.priority}, ${ts(g.effectiveAt)}, ${tsOrNull(g.expiresAt)},
        ${g.appliesTo === null ? null : sql.array([...g.appliesTo], 'text')}, ${g.reason}, ${g.idempotencyKey ?? null},
        ${g.invoiceId ?? null}, ${g.paymentId ?? null}, ${g.createdBy ?? null}, ${g.subscriptionId ?? null}, ${tsOrNull(g.periodStart ?? null)})
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

  /** The included grant of a subscription's period, if it was granted. */
  includedGrant: (tx: Tx, subscriptionId: string, periodStart: Date) =>
    tx.maybeOne(sql.type(creditGrantRow)`
      SELECT ${grantColumns} FROM credit_grants g
      WHERE g.source = 'included' AND g.subscription_id = ${subscriptionId} AND g.period_start = ${ts(periodStart)}`),

  /**
   * Makes the caller the one writer of a tenant's ledger in a currency until its transaction
   * ends: two invoices of one tenant cannot spend the same credit, a void cannot give back a burn
   * while it is being made, and a new grant waits for a burn in progress. One advisory lock per
   * (tenant, currency) rather than a lock on every grant row, so the cost does not grow with the
   * grants the tenant ever had.
   */
  lock: async (tx: Tx, tenantId: string, currency: string) => {
    await tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtextextended(${`credit-ledger:${tenantId}:${currency}`}, 0))`);
  },

  /** The grants with credit left (live or not yet written off), through the partial index of open grants. */
  openGrants: (tx: Tx, tenantId: string, currency: string) =>
    tx.any(sql.type(creditGrantRow)`
      SELECT ${grantColumns} FROM credit_grants g
      WHERE g.tenant_id = ${tenantId} AND g.currency = ${currency} AND g.remaining_minor > 0 ORDER BY g.id`),

  grantsByIds: (tx: Tx, ids: readonly string[]) =>
    tx.any(sql.type(creditGrantRow)`SELECT ${grantColumns} FROM credit_grants g WHERE g.id = ANY(${sql.array([...ids], 'uuid')})`),

  /**
   * What a void of the invoice needs to know: the entries naming the invoice (its burns and any
   * reversals already made), and the void entries of the grants that paid it.
   */
  invoiceEntries: (tx: Tx, invoiceId: string) =>
    tx.any(sql.type(entryRow)`
      SELECT ${entryColumns} FROM credit_ledger_entries e WHERE e.invoice_id = ${invoiceId}
      UNION ALL
      SELECT ${entryColumns} FROM credit_ledger_entries e
      WHERE e.kind = 'void' AND e.invoice_id IS NULL
        AND e.grant_id IN (SELECT b.grant_id FROM credit_ledger_entries b WHERE b.invoice_id = ${invoiceId} AND b.kind = 'burn')
      ORDER BY seq`),

  /**
   * The tenant's totals in a currency, from the grants' own sums (nothing reads the entries).
   * Summed as numeric: grants that each fit a bigint may add up past it.
   */
  totals: async (tx: Tx, tenantId: string, currency: string) => {
    const t = await tx.one(sql.type(z.object({ granted: z.string(), consumed: z.string(), expired: z.string(), remaining: z.string() }))`
      SELECT coalesce(sum(amount_minor), 0)::text AS granted, coalesce(sum(consumed_minor), 0)::text AS consumed,
        coalesce(sum(expired_minor), 0)::text AS expired, coalesce(sum(remaining_minor), 0)::text AS remaining
      FROM credit_grants WHERE tenant_id = ${tenantId} AND currency = ${currency}`);
    return { granted: BigInt(t.granted), consumed: BigInt(t.consumed), expired: BigInt(t.expired), remaining: BigInt(t.remaining) };
  },

  /**
   * What is left of the tenant's grants in a currency, summed as numeric: a sum past a bigint
   * (two grants near its largest value) must not fail the write that asks (credit-alerts.ts).
   */
  remaining: async (tx: Tx, tenantId: string, currency: string) =>
    BigInt(
      await tx.oneFirst(sql.type(z.object({ remaining: z.string() }))`
        SELECT coalesce(sum(remaining_minor), 0)::text AS remaining FROM credit_grants WHERE tenant_id = ${tenantId} AND currency = ${currency}`),
    ),

  /** One page of a tenant's ledger in order, after `afterSeq`, with the balance after each entry. */
  page: async (tx: Tx, tenantId: string, afterSeq: bigint, limit: number) =>
    withBalance(
      await tx.any(sql.type(summedEntryRow)`
      SELECT * FROM (
        SELECT e.id, e.seq, e.tenant_id, e.grant_id, e.kind, e.amount_minor, e.at, e.invoice_id, e.line_id,
          sum(e.amount_minor) OVER (ORDER BY e.seq)::text AS balance_after_minor
        FROM credit_ledger_entries e WHERE e.tenant_id = ${tenantId}
      ) l WHERE l.seq > ${afterSeq} ORDER BY l.seq LIMIT ${limit}`),
    ),

  /**
   * A period of a tenant's ledger in a currency: the balance after the last entry before `from`
   * (the opening), and the last `limit` entries at or after it, each with the balance after it.
   * The running sum is taken in PostgreSQL; only the period's rows leave it.
   */
  periodEntries: async (tx: Tx, tenantId: string, currency: string, from: Date, limit: number) => {
    const ledger = sql.fragment`
      SELECT e.id, e.seq, e.tenant_id, e.grant_id, e.kind, e.amount_minor, e.at, e.invoice_id, e.line_id,
        sum(e.amount_minor) OVER (ORDER BY e.seq)::text AS balance_after_minor
      FROM credit_ledger_entries e JOIN credit_grants g ON g.id = e.grant_id
      WHERE e.tenant_id = ${tenantId} AND g.currency = ${currency}`;
    const opening = await tx.maybeOneFirst(
      sql.type(z.object({ balance_after_minor: z.string() }))`
        SELECT l.balance_after_minor FROM (${ledger}) l WHERE l.at < ${ts(from)} ORDER BY l.seq DESC LIMIT 1`,
    );
    const entries = await tx.any(sql.type(summedEntryRow)`
      SELECT * FROM (SELECT * FROM (${ledger}) l WHERE l.at >= ${ts(from)} ORDER BY l.seq DESC LIMIT ${limit}) p ORDER BY p.seq`);
    return { openingMinor: opening === null ? 0n : BigInt(opening), entries: withBalance(entries) };
  },

  append: async (tx: Tx, tenantId: string, entries: readonly LedgerEntry[]) => {
    for (const e of entries) {
      await tx.query(sql.unsafe`
        INSERT INTO credit_ledger_entries (tenant_id, grant_id, kind, amount_minor, at, invoice_id, line_id)
        VALUES (${tenantId}, ${e.grantId}, ${e.kind}, ${e.amountMinor}, ${ts(e.at)}, ${e.invoiceId ?? null}, ${e.lineId ?? null})`);
    }
  },
};
