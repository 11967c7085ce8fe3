import { z } from 'zod';
import { formatAmount, fromMinorUnits, toDecimal, toDecimalString } from '../../domain/money/index.ts';
import type { InvoiceLineRow, InvoiceRow } from '../../db/postgres/invoices-repository.ts';
import { INVOICE_REASONS, INVOICE_STATUSES } from '../../db/postgres/invoices-repository.ts';
import { INVOICE_LINE_TYPES, amountDue } from '../../domain/billing/index.ts';
import { problemSchema } from '../http/problem.ts';
import { tierBreakdownSchema } from '../pricing/plan-schemas.ts';

export const invoiceLineSchema = z
  .object({
    position: z.number().int().describe('the line number, 1-based; ?line= of the usage drill-down'),
    type: z.enum(INVOICE_LINE_TYPES).describe('credit: tenant credit applied after tax (negative; not part of subtotal)'),
    description: z.string(),
    meter: z.string().optional(),
    quantity: z.string().optional(),
    unitPrice: z.string().optional(),
    tiers: z.array(tierBreakdownSchema).optional(),
    dimensions: z
      .record(z.string(), z.string().nullable())
      .optional()
      .describe('a rate card\'s line: {"<priceBy>": "<value>"}, the value of the property it bills (null: events without the property)'),
    amount: z.string(),
    planId: z.uuid().optional(),
    planVersion: z.number().int().optional(),
    usage: z
      .object({ from: z.iso.datetime(), to: z.iso.datetime(), eventCount: z.string().describe('deduplicated events behind the quantity') })
      .optional()
      .describe('the query window and event count behind a usage or adjustment line'),
  })
  .meta({ id: 'InvoiceLine' });

export const invoiceSchema = z
  .object({
    id: z.uuid(),
    number: z.string().nullable().describe('INV-<year>-<six digits>, assigned at finalization; null while draft'),
    status: z.enum(INVOICE_STATUSES),
    reason: z.enum(INVOICE_REASONS).describe('late_usage: late-usage adjustments issued after a cancellation'),
    tenantId: z.uuid(),
    subscriptionId: z.uuid(),
    currency: z.string(),
    periodStart: z.iso.datetime(),
    periodEnd: z.iso.datetime(),
    lines: z.array(invoiceLineSchema),
    subtotal: z.string().describe('the sum of the lines other than credit lines'),
    taxRate: z.string().nullable(),
    tax: z.string().nullable().describe('round(subtotal × the tenant taxRate) at finalization; null while draft'),
    total: z.string().nullable().describe('subtotal + tax; null while draft'),
    creditApplied: z.string().describe("the tenant's credit applied after tax (the credit lines, as a positive amount)"),
    amountDue: z.string().nullable().describe('total − creditApplied: what is collected; null while draft'),
    amountPaid: z.string().describe('received against amountDue (money beyond it became tenant credit)'),
    issuedAt: z.iso.datetime().nullable(),
    dueAt: z.iso.datetime().nullable(),
    paidAt: z.iso.datetime().optional(),
    voidedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'Invoice' });
export type InvoiceJson = z.infer<typeof invoiceSchema>;

/** An invoice in a list: its lines only when asked for (`?include=lines`), since a page of them can be large. */
export const invoiceListItemSchema = invoiceSchema
  .extend({ lines: z.array(invoiceLineSchema).optional().describe('present only with ?include=lines') })
  .meta({ id: 'InvoiceListItem' });
export type InvoiceListItemJson = z.infer<typeof invoiceListItemSchema>;

/** The invoice without its lines (a list item without `?include=lines`). */
export function toInvoiceSummary(row: InvoiceRow): InvoiceListItemJson {
  const { lines: _lines, ...rest } = toInvoice(row, []);
  return rest;
}

export function toInvoice(row: InvoiceRow, lines: readonly InvoiceLineRow[]): InvoiceJson {
  const { currency } = row;
  const money = (minor: bigint) => formatAmount(fromMinorUnits(minor, currency), currency);
  const exact = (text: string) => toDecimalString(toDecimal(text));
  return {
    id: row.id,
    number: row.number,
    status: row.status,
    reason: row.reason,
    tenantId: row.tenant_id,
    subscriptionId: row.subscription_id,
    currency,
    periodStart: row.period_start.toISOString(),
    periodEnd: row.period_end.toISOString(),
    lines: lines.map((l) => ({
      position: l.position,
      type: l.type,
      description: l.description,
      ...(l.meter !== null ? { meter: l.meter } : {}),
      ...(l.quantity !== null ? { quantity: exact(l.quantity) } : {}),
      ...(l.unit_price !== null ? { unitPrice: exact(l.unit_price) } : {}),
      ...(l.tiers !== null ? { tiers: l.tiers as z.infer<typeof tierBreakdownSchema>[] } : {}),
      ...(l.dimensions !== null ? { dimensions: l.dimensions } : {}),
      amount: money(l.amount_minor),
      ...(l.plan_id !== null ? { planId: l.plan_id } : {}),
      ...(l.plan_version !== null ? { planVersion: l.plan_version } : {}),
      ...(l.usage_from && l.usage_to
        ? { usage: { from: l.usage_from.toISOString(), to: l.usage_to.toISOString(), eventCount: String(l.event_count ?? 0n) } }
        : {}),
    })),
    subtotal: money(row.subtotal_minor),
    taxRate: row.tax_rate === null ? null : exact(row.tax_rate),
    tax: row.tax_minor === null ? null : money(row.tax_minor),
    total: row.total_minor === null ? null : money(row.total_minor),
    creditApplied: money(row.credit_applied_minor),
    amountDue: row.total_minor === null ? null : money(amountDue(row.total_minor, row.credit_applied_minor)),
    amountPaid: money(row.amount_paid_minor),
    issuedAt: row.issued_at?.toISOString() ?? null,
    dueAt: row.due_at?.toISOString() ?? null,
    ...(row.paid_at ? { paidAt: row.paid_at.toISOString() } : {}),
    ...(row.voided_at ? { voidedAt: row.voided_at.toISOString() } : {}),
  };
}

/** 409 of a payment or a void: the problem, and the attempt in flight when that is the reason. */
export const paymentConflictSchema = problemSchema
  .extend({ pendingAttemptId: z.uuid().optional().describe('the payment attempt in flight at the gateway; retry once it has an outcome') })
  .meta({ id: 'PaymentConflict' });
