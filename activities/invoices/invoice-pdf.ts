import PDFDocument from 'pdfkit';
import type { Tx } from '../../db/postgres/tenant-scope.ts';
import { invoicesRepository, type InvoiceRow } from '../../db/postgres/invoices-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { formatAmount, fromMinorUnits, toDecimal, toDecimalString } from '../../domain/money/index.ts';
import { amountDue } from '../../domain/billing/index.ts';

export type InvoiceDocument = {
  number: string;
  status: string;
  issuedAt: Date;
  dueAt: Date;
  tenant: { name: string; email: string | null };
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  lines: ReadonlyArray<{ description: string; quantity: string | null; unitPrice: string | null; amount: string }>;
  subtotal: string;
  taxRate: string;
  tax: string;
  total: string;
  /** Tenant credit applied after tax, and what is left to pay; shown only when credit was applied. */
  creditApplied?: string;
  amountDue?: string;
};

const day = (d: Date) => d.toISOString().slice(0, 10);

/** A settled invoice is stamped across its header, so a copy of it is never taken for a bill to pay. */
const STAMPS: Readonly<Record<string, { text: string; color: string }>> = {
  paid: { text: 'PAID', color: '#1a7f37' },
  void: { text: 'VOID', color: '#cf222e' },
};

/**
 * Renders an invoice with pdfkit: header, bill-to, the lines with quantity, unit price and amount,
 * then subtotal, tax (a row, not a line) and total, and below it any credit applied and the
 * amount due; a paid or void invoice carries a PAID or VOID stamp. The document's dates come from the invoice,
 * not the clock, so the same invoice renders the same content.
 */
export function renderInvoicePdf(inv: InvoiceDocument): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: { Title: `Invoice ${inv.number}`, Author: 'Meterplane', Subject: `Invoice ${inv.number}`, CreationDate: inv.issuedAt, ModDate: inv.issuedAt },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const left = 50;
  const right = doc.page.width - 50;
  doc.font('Helvetica-Bold').fontSize(20).text('Invoice', left, 50);
  const stamp = STAMPS[inv.status];
  if (stamp) {
    doc.save().rotate(-15, { origin: [right - 90, 75] });
    doc.font('Helvetica-Bold').fontSize(36).fillColor(stamp.color).text(stamp.text, right - 160, 55, { width: 140, align: 'center', lineBreak: false });
    doc.restore().fillColor('black');
  }
  doc.font('Helvetica').fontSize(10);
  doc.text(`Number: ${inv.number}`, left, 80);
  doc.text(`Status: ${inv.status}`);
  doc.text(`Issued: ${day(inv.issuedAt)}    Due: ${day(inv.dueAt)}`);
  doc.text(`Service period: ${day(inv.periodStart)} to ${day(inv.periodEnd)} (end exclusive, UTC)`);
  doc.moveDown();
  doc.font('Helvetica-Bold').text('Bill to');
  doc.font('Helvetica').text(inv.tenant.name);
  if (inv.tenant.email) doc.text(inv.tenant.email);
  doc.moveDown();

  const cols = { description: left, quantity: 300, unitPrice: 390, amount: 470 };
  const header = doc.y;
  doc.font('Helvetica-Bold');
  doc.text('Description', cols.description, header, { width: 240 });
  doc.text('Quantity', cols.quantity, header, { width: 85, align: 'right' });
  doc.text('Unit price', cols.unitPrice, header, { width: 75, align: 'right' });
  doc.text(`Amount (${inv.currency})`, cols.amount, header, { width: right - cols.amount, align: 'right' });
  doc.moveTo(left, doc.y + 2).lineTo(right, doc.y + 2).stroke();
  doc.moveDown(0.5);
  doc.font('Helvetica');
  for (const line of inv.lines) {
    if (doc.y > doc.page.height - 150) doc.addPage();
    const y = doc.y;
    doc.text(line.description, cols.description, y, { width: 240 });
    const after = doc.y;
    doc.text(line.quantity ?? '', cols.quantity, y, { width: 85, align: 'right' });
    doc.text(line.unitPrice ?? '', cols.unitPrice, y, { width: 75, align: 'right' });
    doc.text(line.amount, cols.amount, y, { width: right - cols.amount, align: 'right' });
    doc.y = Math.max(after, doc.y) + 4;
  }
  doc.moveTo(left, doc.y).lineTo(right, doc.y).stroke();
  doc.moveDown(0.5);
  const total = (label: string, value: string, bold = false) => {
    const y = doc.y;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica');
    doc.text(label, cols.unitPrice - 90, y, { width: 165, align: 'right' });
    doc.text(value, cols.amount, y, { width: right - cols.amount, align: 'right' });
  };
  total('Subtotal', inv.subtotal);
  total(`Tax (${inv.taxRate})`, inv.tax);
  total(`Total (${inv.currency})`, inv.total, true);
  if (inv.creditApplied !== undefined && inv.amountDue !== undefined && inv.amountDue !== inv.total) {
    total('Credit applied', `-${inv.creditApplied}`);
    total(`Amount due (${inv.currency})`, inv.amountDue, true);
  }
  doc.end();
  return done;
}

/** Renders a numbered invoice with pdfkit (dates from the invoice, so a re-render is the same document). */
export async function renderStoredInvoicePdf(tx: Tx, invoice: InvoiceRow): Promise<Buffer> {
  const tenant = await tenantsRepository.findById(tx, invoice.tenant_id);
  const lines = await invoicesRepository.lines(tx, invoice.id);
  const { currency } = invoice;
  const money = (minor: bigint) => formatAmount(fromMinorUnits(minor, currency), currency);
  return renderInvoicePdf({
    number: invoice.number!,
    status: invoice.status,
    issuedAt: invoice.issued_at!,
    dueAt: invoice.due_at!,
    tenant: { name: tenant?.name ?? invoice.tenant_id, email: tenant?.email ?? null },
    currency,
    periodStart: invoice.period_start,
    periodEnd: invoice.period_end,
    // Credit is applied after tax: it is shown below the total, not among the charges.
    lines: lines.filter((l) => l.type !== 'credit').map((l) => ({
      description: l.description,
      quantity: l.quantity === null ? null : toDecimalString(toDecimal(l.quantity)),
      unitPrice: l.unit_price === null ? null : toDecimalString(toDecimal(l.unit_price)),
      amount: money(l.amount_minor),
    })),
    subtotal: money(invoice.subtotal_minor),
    taxRate: `${toDecimalString(toDecimal(invoice.tax_rate ?? '0').times(100))} %`,
    tax: money(invoice.tax_minor ?? 0n),
    total: money(invoice.total_minor ?? 0n),
    creditApplied: money(invoice.credit_applied_minor),
    amountDue: money(amountDue(invoice.total_minor ?? 0n, invoice.credit_applied_minor)),
  });
}
