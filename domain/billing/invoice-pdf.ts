import PDFDocument from 'pdfkit';
import { localDate } from '../periods/zoned-calendar.ts';

// The invoice as a PDF: pure (a document in, bytes out). Deliberately not exported from
// domain/billing/index.ts, which the workflows import: pdfkit must stay out of their bundle.

export type InvoiceDocument = {
  number: string;
  status: string;
  issuedAt: Date;
  dueAt: Date;
  tenant: { name: string; email: string | null };
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  /** The IANA zone the dates are printed in: the subscription's (default UTC). The API keeps UTC instants. */
  timeZone?: string;
  lines: ReadonlyArray<{ description: string; quantity: string | null; unitPrice: string | null; amount: string }>;
  subtotal: string;
  taxRate: string;
  tax: string;
  total: string;
  /** Tenant credit applied after tax, and what is left to pay; shown only when credit was applied. */
  creditApplied?: string;
  amountDue?: string;
};

/** A settled invoice is stamped across its header, so a copy of it is never taken for a bill to pay. */
const STAMPS: Readonly<Record<string, { text: string; color: string }>> = {
  paid: { text: 'PAID', color: '#1a7f37' },
  void: { text: 'VOID', color: '#cf222e' },
};

/**
 * Renders an invoice with pdfkit: header, bill-to, the lines with quantity, unit price and amount,
 * then subtotal, tax (a row, not a line) and total, and below it any credit applied and the
 * amount due; a paid or void invoice carries a PAID or VOID stamp. The document's dates come from the invoice,
 * not the clock, so the same invoice renders the same content; they are days of the invoice's
 * zone (its subscription's), which the header names.
 */
export function renderInvoicePdf(inv: InvoiceDocument): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: {
      Title: `Invoice ${inv.number}`,
      Author: 'Meterplane',
      Subject: `Invoice ${inv.number}`,
      CreationDate: inv.issuedAt,
      ModDate: inv.issuedAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const zone = inv.timeZone ?? 'UTC';
  // A period's end is the first instant of the next period: its local day is printed, end exclusive.
  const day = (d: Date) => localDate(d, zone);
  const left = 50;
  const right = doc.page.width - 50;
  doc.font('Helvetica-Bold').fontSize(20).text('Invoice', left, 50);
  const stamp = STAMPS[inv.status];
  if (stamp) {
    doc.save().rotate(-15, { origin: [right - 90, 75] });
    doc
      .font('Helvetica-Bold')
      .fontSize(36)
      .fillColor(stamp.color)
      .text(stamp.text, right - 160, 55, { width: 140, align: 'center', lineBreak: false });
    doc.restore().fillColor('black');
  }
  doc.font('Helvetica').fontSize(10);
  doc.text(`Number: ${inv.number}`, left, 80);
  doc.text(`Status: ${inv.status}`);
  doc.text(`Issued: ${day(inv.issuedAt)}    Due: ${day(inv.dueAt)}`);
  doc.text(`Service period: ${day(inv.periodStart)} to ${day(inv.periodEnd)} (end exclusive, ${zone})`);
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
  doc
    .moveTo(left, doc.y + 2)
    .lineTo(right, doc.y + 2)
    .stroke();
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
