import type { Tx } from './tenant-scope.ts';
import { invoicesRepository, type InvoiceRow } from './invoices-repository.ts';
import { tenantsRepository } from './tenants-repository.ts';
import { subscriptionsRepository } from './subscriptions-repository.ts';
import { formatAmount, fromMinorUnits, toDecimal, toDecimalString } from '../../domain/money/index.ts';
import { amountDue } from '../../domain/billing/index.ts';
// Not through the index: workflows import domain/billing, and pdfkit must stay out of their bundle.
import { renderInvoicePdf } from '../../domain/billing/invoice-pdf.ts';

/** Renders a numbered invoice with pdfkit (dates from the invoice, in its subscription's zone, so a re-render is the same document). */
export async function renderStoredInvoicePdf(tx: Tx, invoice: InvoiceRow): Promise<Buffer> {
  const tenant = await tenantsRepository.findById(tx, invoice.tenant_id);
  // The subscription's zone, not the tenant's current one: the periods were cut in it.
  const subscription = await subscriptionsRepository.findById(tx, invoice.subscription_id);
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
    timeZone: subscription?.timezone ?? 'UTC',
    // Credit is applied after tax: it is shown below the total, not among the charges.
    lines: lines
      .filter((l) => l.type !== 'credit')
      .map((l) => ({
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
