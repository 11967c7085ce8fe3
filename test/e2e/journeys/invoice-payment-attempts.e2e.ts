import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { cspViolations, launchBrowser, newPage, screenshot, signIn } from '../../harness/e2e/browser.ts';
import { apiOf, unique } from '../../harness/e2e/api.ts';

type Attempts = { attempts: { attempt: number; status: string }[]; nextRetryAt: string | null; dunning: string };

// Journey: an invoice whose card was declined shows each payment attempt, its outcome, and
// when dunning tries next; the tenant's customer sees the same on their own invoice.
describe('invoice page: payment attempts and the next retry', () => {
  const stack = inject('stack');
  const api = apiOf(stack);
  let browser: Browser;
  let page: Page;
  const customer = { email: `${unique('attempts-customer')}@e2e.meterplane.test`, password: 'customer-password-1' };
  let invoiceId: string;

  beforeAll(async () => {
    // given a tenant whose first charge of every invoice is declined, billed for a period that has ended
    const admin = await api.adminToken();
    const tenant = await api.call<{ id: string }>('POST', '/api/tenants', { token: admin, body: { name: unique('Declined Co') } });
    await api.call('POST', '/api/users', { token: admin, body: { ...customer, role: 'customer', tenantId: tenant.id } });
    await api.call('PUT', `/api/tenants/${tenant.id}/payment-settings`, { token: admin, body: { declineFirstAttempts: 1 } });
    const plan = await api.call<{ id: string }>('POST', '/api/pricing/plans', {
      token: admin,
      body: { code: unique('attempts'), name: 'Attempts (e2e)', currency: 'USD', interval: 'month', baseFee: '29.00', charges: [] },
    });
    await api.call('POST', '/api/subscriptions', {
      token: admin,
      body: { tenantId: tenant.id, planId: plan.id, startAt: new Date(Date.now() - 35 * 86_400_000).toISOString() },
    });
    // when dunning has made its first attempt (declined) and scheduled the next
    const deadline = Date.now() + 90_000;
    for (;;) {
      const list = await api.call<{ items: { id: string; status: string }[] }>('GET', `/api/invoices?tenantId=${tenant.id}`, {
        token: admin,
      });
      const failed = list.items.find((i) => i.status === 'payment_failed');
      if (failed) {
        const attempts = await api.call<Attempts>('GET', `/api/invoices/${failed.id}/payment-attempts`, { token: admin });
        if (attempts.attempts[0]?.status === 'declined' && attempts.nextRetryAt) {
          invoiceId = failed.id;
          break;
        }
      }
      if (Date.now() > deadline) throw new Error(`no declined attempt with a next retry within 90 s: ${JSON.stringify(list.items)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    browser = await launchBrowser();
    page = await newPage(browser, stack.baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the declined attempt and the next retry, for an operator and for the customer', async () => {
    await signIn(page, stack.admin.email, stack.admin.password);
    await page.goto(`/invoices/${invoiceId}`);
    const rows = page.getByTestId('payment-attempts').getByTestId('payment-attempt');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getByTestId('attempt-status').textContent()).toBe('declined');
    // The default schedule retries 3 days after the first attempt.
    const next = await page.getByTestId('next-retry').textContent();
    expect(next).toMatch(/\d/);
    await screenshot(page, 'invoice-payment-attempts');
    expect(cspViolations(page)).toEqual([]);

    const own = await newPage(browser, stack.baseUrl);
    await signIn(own, customer.email, customer.password);
    await own.goto(`/invoices/${invoiceId}`);
    await expect.poll(() => own.getByTestId('payment-attempts').getByTestId('attempt-status').first().textContent()).toBe('declined');
    expect(await own.getByTestId('next-retry').textContent()).toBe(next);
    await own.context().close();
  });
});
