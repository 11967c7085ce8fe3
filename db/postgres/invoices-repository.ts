import { sql } from 'slonik';
import { z } from 'zod';
import type { Tx } from './tenant-scope.ts';
import { allOf, ts, tsOrNull } from './sql.ts';
import { INVOICE_LINE_TYPES, INVOICE_STATES, type InvoiceTransition } from '../../domain/billing/index.ts';

// Invoices and their lines (tenant-owned, RLS). Amounts are bigint minor units of the invoice's
// currency; quantities and unit prices are exact numerics read as text. Status changes are
// decided by domain/billing's invoice state machine; this file only writes its decisions.

export const INVOICE_STATUSES = INVOICE_STATES;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];
export const INVOICE_REASONS = ['period_end', 'invoice_now', 'cancel', 'late_usage'] as const;
export type InvoiceReason = (typeof INVOICE_REASONS)[number];

export const invoiceRow = z.object({
  id: z.string(),
  tenant_id: z.string(),
  subscription_id: z.string(),
  number: z.string().nullable(),
  status: z.enum(INVOICE_STATUSES),
  reason: z.enum(INVOICE_REASONS),
  currency: z.string(),
  period_start: z.date(),
  period_end: z.date(),
  subtotal_minor: z.bigint(),
  tax_rate: z.string().nullable(),
  tax_minor: z.bigint().nullable(),
  total_minor: z.bigint().nullable(),
  amount_paid_minor: z.bigint(),
  credit_applied_minor: z.bigint(),
  issued_at: z.date().nullable(),
  due_at: z.date().nullable(),
  paid_at: z.date().nullable(),
  voided_at: z.date().nullable(),
  has_pdf: z.boolean(),
  created_at: z.date(),
});
export type InvoiceRow = z.infer<typeof invoiceRow>;

export const invoiceLineRow = z.object({
  id: z.string(),
  invoice_id: z.string(),
  position: z.number(),
  type: z.enum(INVOICE_LINE_TYPES),
  description: z.string(),
  meter: z.string().nullable(),
  model: z.string().nullable(),
  quantity: z.string().nullable(),
  unit_price: z.string().nullable(),
  tiers: z.unknown().nullable(),
  amount_minor: z.bigint(),
  plan_id: z.string().nullable(),
  plan_version: z.number().nullable(),
  usage_from: z.date().nullable(),
  usage_to: z.date().nullable(),
  event_count: z.bigint().nullable(),
  rating: z.unknown().nullable(),
  /** A rate card's line: {"<priceBy>": "<value>"}. */
  dimensions: z.record(z.string(), z.string().nullable()).nullable(),
});
export type InvoiceLineRow = z.infer<typeof invoiceLineRow>;

const invoiceColumns = sql.fragment`
  id, tenant_id, subscription_id, number, status, reason, currency, period_start, period_end, subtotal_minor,
  tax_rate::text AS tax_rate, tax_minor, total_minor, amount_paid_minor, credit_applied_minor, issued_at, due_at, paid_at, voided_at,
  pdf IS NOT NULL AS has_pdf, created_at`;

const lineColumns = sql.fragment`
  id, invoice_id, position, type, description, meter, model, quantity::text AS quantity, unit_price::text AS unit_price,
  tiers, amount_minor, plan_id, plan_version, usage_from, usage_to, event_count, rating, dimensions`;

const qualifiedLineColumns = sql.fragment`
  l.id, l.invoice_id, l.position, l.type, l.description, l.meter, l.model, l.quantity::text AS quantity,
  l.unit_price::text AS unit_price, l.tiers, l.amount_minor, l.plan_id, l.plan_version, l.usage_from, l.usage_to,
  l.event_count, l.rating, l.dimensions`;

export type NewInvoiceLine = {
  type: InvoiceLineRow['type'];
  description: string;
  meter?: string;
  model?: string;
  quantity?: string;
  unitPrice?: string;
  tiers?: unknown;
  amountMinor: bigint;
  planId?: string;
  planVersion?: number;
  usageFrom?: Date;
  usageTo?: Date;
  eventCount?: bigint;
  rating?: unknown;
  dimensions?: Readonly<Record<string, string | null>>;
};

export type NewInvoice = {
  id: string;
  tenantId: string;
  subscriptionId: string;
  reason: InvoiceReason;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  subtotalMinor: bigint;
  lines: readonly NewInvoiceLine[];
};

/** A decision was written against an invoice whose status had changed: a bug in the caller's locking. */
export class InvoiceChangedError extends Error {
  override name = 'InvoiceChangedError';
  constructor(id: string, t: InvoiceTransition) {
    super(`invoice ${id} is no longer ${t.from}: ${t.action} was not written`);
  }
}

function insertLine(tx: Tx, tenantId: string, invoiceId: string, position: number, l: NewInvoiceLine) {
  return tx.query(sql.unsafe`
    INSERT INTO invoice_lines (tenant_id, invoice_id, position, type, description, meter, model, quantity, unit_price, tiers,
                               amount_minor, plan_id, plan_version, usage_from, usage_to, event_count, rating, dimensions)
    VALUES (${tenantId}, ${invoiceId}, ${position}, ${l.type}, ${l.description}, ${l.meter ?? null}, ${l.model ?? null},
            ${l.quantity ?? null}, ${l.unitPrice ?? null}, ${l.tiers === undefined ? null : sql.jsonb(l.tiers as never)},
            ${l.amountMinor}, ${l.planId ?? null}, ${l.planVersion ?? null}, ${tsOrNull(l.usageFrom)}, ${tsOrNull(l.usageTo)},
            ${l.eventCount ?? null}, ${l.rating === undefined ? null : sql.jsonb(l.rating as never)},
            ${l.dimensions === undefined ? null : sql.jsonb(l.dimensions as never)})`);
}

export type InvoiceFilter = { tenantId?: string; status?: InvoiceStatus; subscriptionId?: string };

function where(f: InvoiceFilter) {
  return allOf([
    f.tenantId ? sql.fragment`tenant_id = ${f.tenantId}` : null,
    f.status ? sql.fragment`status = ${f.status}` : null,
    f.subscriptionId ? sql.fragment`subscription_id = ${f.subscriptionId}` : null,
  ]);
}

export const invoicesRepository = {
  findById: (tx: Tx, id: string) => tx.maybeOne(sql.type(invoiceRow)`SELECT ${invoiceColumns} FROM invoices WHERE id = ${id}`),

  /** The row locked for an update in the same transaction. */
  lockById: (tx: Tx, id: string) => tx.maybeOne(sql.type(invoiceRow)`SELECT ${invoiceColumns} FROM invoices WHERE id = ${id} FOR UPDATE`),

  findBySubscriptionPeriod: (tx: Tx, subscriptionId: string, periodStart: Date) =>
    tx.maybeOne(sql.type(invoiceRow)`
      SELECT ${invoiceColumns} FROM invoices WHERE subscription_id = ${subscriptionId} AND period_start = ${ts(periodStart)}`),

  lines: (tx: Tx, invoiceId: string) =>
    tx.any(sql.type(invoiceLineRow)`SELECT ${lineColumns} FROM invoice_lines WHERE invoice_id = ${invoiceId} ORDER BY position`),

  linesOf: (tx: Tx, invoiceIds: readonly string[]) =>
    invoiceIds.length === 0
      ? Promise.resolve([] as readonly InvoiceLineRow[])
      : tx.any(sql.type(invoiceLineRow)`
          SELECT ${lineColumns} FROM invoice_lines WHERE invoice_id = ANY(${sql.array(invoiceIds, 'uuid')}) ORDER BY invoice_id, position`),

  list: (tx: Tx, f: InvoiceFilter & { limit: number; offset: number }) =>
    tx.any(sql.type(invoiceRow)`
      SELECT ${invoiceColumns} FROM invoices WHERE ${where(f)}
      ORDER BY period_start DESC, created_at DESC, id LIMIT ${f.limit} OFFSET ${f.offset}`),

  count: (tx: Tx, f: InvoiceFilter) =>
    tx.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM invoices WHERE ${where(f)}`),

  /**
   * Writes a draft with its lines, once per (subscription, period start). A second write for the
   * same period (a retried or replayed activity) inserts nothing and returns the first invoice.
   */
  insertDraft: async (tx: Tx, inv: NewInvoice): Promise<{ invoice: InvoiceRow; created: boolean }> => {
    const inserted = await tx.maybeOneFirst(sql.type(z.object({ id: z.string() }))`
      INSERT INTO invoices (id, tenant_id, subscription_id, status, reason, currency, period_start, period_end, subtotal_minor)
      VALUES (${inv.id}, ${inv.tenantId}, ${inv.subscriptionId}, 'draft', ${inv.reason}, ${inv.currency},
              ${ts(inv.periodStart)}, ${ts(inv.periodEnd)}, ${inv.subtotalMinor})
      ON CONFLICT (subscription_id, period_start) DO NOTHING
      RETURNING id`);
    if (inserted === null) {
      return { invoice: (await invoicesRepository.findBySubscriptionPeriod(tx, inv.subscriptionId, inv.periodStart))!, created: false };
    }
    let position = 0;
    for (const l of inv.lines) {
      position += 1;
      await insertLine(tx, inv.tenantId, inv.id, position, l);
    }
    return { invoice: (await invoicesRepository.findById(tx, inv.id))!, created: true };
  },

  /** Adds a line after the last one (the credit line, written at finalization). */
  appendLine: async (tx: Tx, invoice: { id: string; tenant_id: string }, line: NewInvoiceLine) => {
    const last = await tx.oneFirst(sql.type(z.object({ n: z.number() }))`
      SELECT coalesce(max(position), 0)::int AS n FROM invoice_lines WHERE invoice_id = ${invoice.id}`);
    await insertLine(tx, invoice.tenant_id, invoice.id, last + 1, line);
  },

  /**
   * The lines of a subscription's invoices before `before` that were rated cumulatively within the
   * schedule period starting at `periodStart` (their rating names a run start): what earlier parts
   * of that period billed, per charge, and their prorated base fees (no meter), which name the run
   * too. Void invoices count, as for late usage.
   */
  cumulativeLinesOfPeriod: (tx: Tx, subscriptionId: string, periodStart: Date, before: Date) =>
    tx.any(sql.type(invoiceLineRow)`
      SELECT ${qualifiedLineColumns}
      FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
      WHERE i.subscription_id = ${subscriptionId} AND i.period_start < ${ts(before)}
        AND l.type IN ('usage', 'adjustment', 'proration') AND (l.meter IS NOT NULL OR l.type = 'proration')
        AND l.rating->>'from' IS NOT NULL AND l.rating->'period'->>'start' = ${periodStart.toISOString()}
      ORDER BY i.period_start, l.position`),

  /**
   * The usage and adjustment lines of a subscription's invoices before `before` whose window ended
   * at most its plan version's late_usage_days before `asOf` (the late-usage horizon), never more
   * than `maxDays`: the windows late events may still be billed for. A line without a plan version
   * uses `defaultDays`.
   */
  usageLinesWithinHorizon: (tx: Tx, subscriptionId: string, before: Date, asOf: Date, o: { defaultDays: number; maxDays: number }) =>
    tx.any(sql.type(invoiceLineRow)`
      SELECT ${qualifiedLineColumns}
      FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
      LEFT JOIN plan_versions v ON v.plan_id = l.plan_id AND v.version = l.plan_version
      WHERE i.subscription_id = ${subscriptionId} AND l.type IN ('usage', 'adjustment') AND l.usage_from IS NOT NULL
        AND l.usage_from < ${ts(before)}
        AND l.usage_to >= ${ts(asOf)} - make_interval(days => ${o.maxDays})
        AND l.usage_to >= ${ts(asOf)} - make_interval(days => COALESCE(v.late_usage_days, ${o.defaultDays}))
      ORDER BY l.usage_from, i.period_start, l.position`),

  /**
   * The next gapless number of `year`, taken in the caller's transaction: a rollback returns it.
   * The row lock serialises concurrent finalizations of the same year.
   */
  nextNumber: async (tx: Tx, year: number): Promise<string> => {
    const n = await tx.oneFirst(sql.type(z.object({ last_number: z.number() }))`
      INSERT INTO invoice_number_sequences AS s (year, last_number) VALUES (${year}, 1)
      ON CONFLICT (year) DO UPDATE SET last_number = s.last_number + 1
      RETURNING last_number`);
    return `INV-${year}-${String(n).padStart(6, '0')}`;
  },

  /** Writes a `finalize` decision of the state machine (from draft), with the numbers it was decided on. */
  markFinalized: async (
    tx: Tx,
    id: string,
    t: InvoiceTransition,
    f: { number: string; taxRate: string; taxMinor: bigint; totalMinor: bigint; creditAppliedMinor: bigint; issuedAt: Date; dueAt: Date },
  ) => {
    const result = await tx.query(sql.unsafe`
      UPDATE invoices SET number = ${f.number}, status = ${t.to}, tax_rate = ${f.taxRate}, tax_minor = ${f.taxMinor},
        total_minor = ${f.totalMinor}, credit_applied_minor = ${f.creditAppliedMinor}, issued_at = ${ts(f.issuedAt)}, due_at = ${ts(f.dueAt)},
        paid_at = ${t.to === 'paid' ? ts(f.issuedAt) : sql.fragment`NULL`}, updated_at = now()
      WHERE id = ${id} AND status = ${t.from}`);
    if (result.rowCount !== 1) throw new InvoiceChangedError(id, t);
  },

  /** Stores the rendered PDF once (a repeat keeps the first). */
  storePdf: (tx: Tx, id: string, pdf: Buffer) =>
    tx.query(sql.unsafe`UPDATE invoices SET pdf = ${sql.binary(pdf)} WHERE id = ${id} AND pdf IS NULL`),

  /** The PDF re-rendered after a change of status (a stamp), replacing the stored one. */
  replacePdf: (tx: Tx, id: string, pdf: Buffer) =>
    tx.query(sql.unsafe`UPDATE invoices SET pdf = ${sql.binary(pdf)} WHERE id = ${id} AND pdf IS NOT NULL`),

  pdf: (tx: Tx, id: string) =>
    tx.maybeOneFirst(sql.type(z.object({ pdf: z.instanceof(Buffer).nullable() }))`SELECT pdf FROM invoices WHERE id = ${id}`),

  /**
   * Writes a decision of the invoice state machine: the new status, the amount applied, and the
   * paid or voided instant. The WHERE clause expects the status the decision was taken from, so a
   * change made meanwhile by another transaction fails the write (InvoiceChangedError) instead of
   * being overwritten. Returns the row as written.
   */
  applyTransition: async (tx: Tx, id: string, t: InvoiceTransition, at: Date): Promise<InvoiceRow> => {
    const row = await tx.maybeOne(sql.type(invoiceRow)`
      UPDATE invoices SET status = ${t.to}, amount_paid_minor = amount_paid_minor + ${t.appliedMinor},
        paid_at = ${t.to === 'paid' && t.from !== 'paid' ? ts(at) : sql.fragment`paid_at`},
        voided_at = ${t.to === 'void' && t.from !== 'void' ? ts(at) : sql.fragment`voided_at`},
        updated_at = now()
      WHERE id = ${id} AND status = ${t.from}
      RETURNING ${invoiceColumns}`);
    if (!row) throw new InvoiceChangedError(id, t);
    return row;
  },
};
