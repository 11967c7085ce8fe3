import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { cspViolations, launchBrowser, newPage, screenshot, signIn } from '../../harness/e2e/browser.ts';
import { apiOf, unique } from '../../harness/e2e/api.ts';

// Journey 3: a customer signs in and sees their own usage (and invoices); typing another
// tenant's URL, or an operator page, gives a not-found page.
describe('customer journey: only their own tenant', () => {
  const stack = inject('stack');
  const api = apiOf(stack);
  let browser: Browser;
  let page: Page;
  const customer = { email: `${unique('customer')}@e2e.meterplane.test`, password: 'customer-password-1' };
  let own: { id: string; name: string };
  let other: { id: string; name: string };
  let meterCode: string;

  beforeAll(async () => {
    // given two tenants, a customer user of the first, and usage posted with its API key
    const admin = await api.adminToken();
    own = await api.call('POST', '/api/tenants', { token: admin, body: { name: unique('Own Co') } });
    other = await api.call('POST', '/api/tenants', { token: admin, body: { name: unique('Other Co') } });
    await api.call('POST', '/api/users', { token: admin, body: { ...customer, role: 'customer', tenantId: own.id } });
    meterCode = unique('req').replace(/-/g, '_');
    await api.call('POST', '/api/meters', {
      token: admin,
      body: { code: meterCode, name: 'Requests (e2e)', eventType: `req.${meterCode}`, aggregation: 'count' },
    });
    const { key } = await api.call<{ key: string }>('POST', `/api/tenants/${own.id}/api-keys`, { token: admin, body: { name: 'e2e' } });
    await api.ingest(
      key,
      Array.from({ length: 4 }, (_, i) => ({ id: unique(`r${i}`), type: `req.${meterCode}` })),
    );

    browser = await launchBrowser();
    page = await newPage(browser, stack.baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('lands on their own tenant page and sees their usage', async () => {
    await signIn(page, customer.email, customer.password);
    expect(new URL(page.url()).pathname).toBe(`/tenants/${own.id}`);
    await expect.poll(() => page.getByTestId('tenant-name').textContent()).toBe(own.name);
    await expect.poll(() => page.getByTestId(`usage-events-${meterCode}`).textContent()).toBe('4');
    // The menu offers nothing but their own account.
    const menu = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
    expect(menu.map((m) => m.replace(/^\W+/, '').trim())).toEqual(['My account']);
    await screenshot(page, 'journey-3-customer-own-tenant');
  });

  it('sees their own invoices on that page', async () => {
    // given an invoice for their tenant: a subscription started a month and more ago
    const admin = await api.adminToken();
    const plan = await api.call<{ id: string }>('POST', '/api/pricing/plans', {
      token: admin,
      body: {
        code: unique('cust'),
        name: 'Customer plan (e2e)',
        currency: 'USD',
        interval: 'month',
        baseFee: '19.00',
        charges: [{ meter: meterCode, model: 'per_unit', unitPrice: '0.5' }],
      },
    });
    await api.call('POST', '/api/subscriptions', {
      token: admin,
      body: { tenantId: own.id, planId: plan.id, startAt: new Date(Date.now() - 40 * 86_400_000).toISOString() },
    });
    await expect
      .poll(async () => (await api.call<{ items: unknown[] }>('GET', `/api/invoices?tenantId=${own.id}`, { token: admin })).items.length, {
        timeout: 90_000,
        interval: 1000,
      })
      .toBeGreaterThan(0);

    await page.goto(`/tenants/${own.id}`);
    const rows = page.getByTestId('tenant-invoices').getByTestId('invoice-row');
    await rows.first().waitFor();
    await rows.first().getByRole('link').click();
    await expect.poll(() => page.getByTestId('invoice-number').textContent()).toMatch(/^INV-/);
  });

  it("gets a not-found page for another tenant's URL and for operator pages", async () => {
    const response = await page.goto(`/tenants/${other.id}`);
    expect(response?.status()).toBe(404);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Not found');
    expect(await page.content()).not.toContain(other.name);
    await screenshot(page, 'journey-3-customer-other-tenant-not-found');

    for (const path of ['/tenants', '/plans', '/alerts', '/users', `/tenants/${crypto.randomUUID()}`]) {
      expect((await page.goto(path))?.status(), path).toBe(404);
    }
    // The overview sends a customer back to their own tenant.
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe(`/tenants/${own.id}`);
  });

  it('met no Content-Security-Policy violation on any page', () => {
    expect(cspViolations(page)).toEqual([]);
  });
});
