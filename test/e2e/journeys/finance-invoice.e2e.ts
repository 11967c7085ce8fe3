import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { PDFDocument } from 'pdf-lib';
import { cspViolations, launchBrowser, navigate, newPage, screenshot, signIn } from '../../harness/e2e/browser.ts';
import { apiOf, unique } from '../../harness/e2e/api.ts';

type Invoice = { id: string; number: string | null; status: string; total: string | null };

// Journey 2: finance opens an invoice, downloads its PDF (non-empty and parseable) and
// records a payment.
describe('finance journey: an invoice from PDF to paid', () => {
  const stack = inject('stack');
  const api = apiOf(stack);
  let browser: Browser;
  let page: Page;
  const finance = { email: `${unique('finance')}@e2e.meterplane.test`, password: 'finance-password-1' };
  let tenant: { id: string; name: string };
  let invoice: Invoice;

  beforeAll(async () => {
    // given a tenant subscribed to a monthly plan since two months ago: the periods that
    // have ended are invoiced at once by its subscription workflow
    const admin = await api.adminToken();
    tenant = await api.call('POST', '/api/tenants', { token: admin, body: { name: unique('Billed Ltd'), taxRate: '0.2' } });
    // Its card is declined (the built-in gateway), so the invoice waits for a manual payment.
    await api.call('PUT', `/api/tenants/${tenant.id}/payment-settings`, { token: admin, body: { declineFirstAttempts: 100 } });
    const plan = await api.call<{ id: string }>('POST', '/api/pricing/plans', {
      token: admin,
      body: { code: unique('monthly'), name: 'Monthly (e2e)', currency: 'USD', interval: 'month', baseFee: '49.00', charges: [] },
    });
    const startAt = new Date(Date.now() - 65 * 86_400_000).toISOString();
    await api.call('POST', '/api/subscriptions', { token: admin, body: { tenantId: tenant.id, planId: plan.id, startAt } });
    await api.call('POST', '/api/users', { token: admin, body: { ...finance, role: 'finance' } });

    const deadline = Date.now() + 90_000;
    for (;;) {
      const list = await api.call<{ items: Invoice[] }>('GET', `/api/invoices?tenantId=${tenant.id}`, { token: admin });
      const unpaid = list.items.find((i) => i.status === 'finalized' || i.status === 'payment_failed');
      if (unpaid) {
        invoice = unpaid;
        break;
      }
      if (Date.now() > deadline)
        throw new Error(`no unpaid invoice within 90 s of subscribing: ${JSON.stringify(list.items.map((i) => i.status))}`);
      await new Promise((r) => setTimeout(r, 1000));
    }

    browser = await launchBrowser();
    page = await newPage(browser, stack.baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('opens the invoice, downloads a real PDF and records a payment', async () => {
    await signIn(page, finance.email, finance.password);
    await navigate(page, 'Invoices');
    await page.getByRole('combobox', { name: 'Tenant' }).selectOption(tenant.id);
    await page.getByRole('link', { name: invoice.number! }).click();
    await expect.poll(() => page.getByTestId('invoice-number').textContent()).toBe(invoice.number);
    expect(['finalized', 'payment failed']).toContain(await page.getByTestId('invoice-status').textContent());

    // the PDF downloads, is not empty, and parses as a PDF with at least one page
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download PDF' }).click()]);
    const bytes = await readFile((await download.path())!);
    expect(bytes.length).toBeGreaterThan(1000);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const pdf = await PDFDocument.load(bytes);
    expect(pdf.getPageCount()).toBeGreaterThanOrEqual(1);
    expect(download.suggestedFilename()).toMatch(/\.pdf$/);

    // a payment of the amount due (pre-filled) marks it paid
    await page.getByLabel('Reference').fill('WIRE-E2E-0001');
    await page.getByRole('button', { name: 'Record payment' }).click();
    await expect.poll(() => page.getByTestId('invoice-status').textContent(), { timeout: 15_000 }).toBe('paid');
    await screenshot(page, 'journey-2-finance-invoice-paid');
  });

  it('met no Content-Security-Policy violation on any page', () => {
    expect(cspViolations(page)).toEqual([]);
  });
});
