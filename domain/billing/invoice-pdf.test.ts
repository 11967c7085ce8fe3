import { describe, expect, it } from 'vitest';
import { pdfText } from '../../test/harness/pdf-text.ts';
import { renderInvoicePdf } from './invoice-pdf.ts';
import type { InvoiceDocument } from './invoice-pdf.ts';

const october: InvoiceDocument = {
  number: 'INV-1',
  status: 'finalized',
  issuedAt: new Date('2026-11-01T05:30:00.000Z'),
  dueAt: new Date('2026-12-01T03:00:00.000Z'),
  tenant: { name: 'Acme', email: null },
  currency: 'USD',
  periodStart: new Date('2026-10-01T04:00:00.000Z'),
  periodEnd: new Date('2026-11-01T04:00:00.000Z'),
  lines: [{ description: 'Base fee', quantity: null, unitPrice: null, amount: '10.00' }],
  subtotal: '10.00',
  taxRate: '0 %',
  tax: '0.00',
  total: '10.00',
};

const text = async (inv: InvoiceDocument) => (await pdfText(await renderInvoicePdf(inv))).join('\n');

describe('invoice PDF dates', () => {
  it("prints the period, issue and due days in the subscription's zone, and names it", async () => {
    const shown = await text({ ...october, timeZone: 'America/New_York' });
    expect(shown).toContain('Service period: 2026-10-01 to 2026-11-01 (end exclusive, America/New_York)');
    // 2026-12-01T03:00Z is still 30 November in New York.
    expect(shown).toContain('Issued: 2026-11-01    Due: 2026-11-30');
  });

  it('prints UTC days without a zone, as before zones', async () => {
    const shown = await text(october);
    expect(shown).toContain('Service period: 2026-10-01 to 2026-11-01 (end exclusive, UTC)');
    expect(shown).toContain('Issued: 2026-11-01    Due: 2026-12-01');
  });
});
