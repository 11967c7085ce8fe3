import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { cspViolations, hydrated, launchBrowser, newPage, screenshot, signIn } from '../../harness/e2e/browser.ts';
import { apiOf, unique } from '../../harness/e2e/api.ts';

// Journey: the Limits card of the tenant page. An admin adds a hard limit (after a malformed one
// the API names at its field); the tenant's customer sees it with its usage, reservations and
// what remains, adds a tighter limit of their own, which then decides authorization, and has
// no way to delete the admin's (the API refuses it too); they delete their own. A customer of
// another tenant gets the not-found page.
describe('tenant page: usage limits', () => {
  const stack = inject('stack');
  const api = apiOf(stack);
  let browser: Browser;
  let adminPage: Page;
  let customerPage: Page;
  let strangerPage: Page;
  const customer = { email: `${unique('limits-customer')}@e2e.meterplane.test`, password: 'customer-password-1' };
  const stranger = { email: `${unique('limits-stranger')}@e2e.meterplane.test`, password: 'customer-password-1' };
  let tenant: { id: string; name: string };
  let meterCode: string;
  let ingestKey: string;

  // A page's answer after a form post waits for the API, which makes a window's counter from ClickHouse first.
  const LONG = { timeout: 15_000 };
  type Limit = { id: string; createdBy: string; limit: string; used: string; reserved: string; remaining: string };
  const limitsOf = async (token: string) =>
    (await api.call<{ items: Limit[] }>('GET', `/api/tenants/${tenant.id}/usage-limits`, { token })).items;
  const rows = (page: Page) => page.getByTestId('usage-limits').getByTestId('limit-row');
  const rowOf = (page: Page, createdBy: 'admin' | 'customer'): Locator =>
    page.getByTestId('usage-limits').locator(`[data-testid="limit-row"][data-created-by="${createdBy}"]`);
  const figures = async (row: Locator) => ({
    limit: await row.getByTestId('limit-value').textContent(),
    used: await row.getByTestId('limit-used').textContent(),
    reserved: await row.getByTestId('limit-reserved').textContent(),
    remaining: await row.getByTestId('limit-remaining').textContent(),
    owner: await row.getByTestId('limit-owner').textContent(),
  });
  const addLimit = async (page: Page, limit: string, button: string) => {
    const form = page.getByTestId('add-limit');
    await form.getByLabel('Meter').selectOption(meterCode);
    await form.getByLabel('Window').selectOption('day');
    await form.getByLabel('Limit').fill(limit);
    await form.getByLabel('Mode').selectOption('hard');
    await form.getByRole('button', { name: button }).click();
  };

  beforeAll(async () => {
    // given two tenants, a customer of each, a count meter and 3 events of the first tenant today
    const admin = await api.adminToken();
    tenant = await api.call('POST', '/api/tenants', { token: admin, body: { name: unique('Limits Co') } });
    const other = await api.call<{ id: string }>('POST', '/api/tenants', { token: admin, body: { name: unique('Stranger Co') } });
    await api.call('POST', '/api/users', { token: admin, body: { ...customer, role: 'customer', tenantId: tenant.id } });
    await api.call('POST', '/api/users', { token: admin, body: { ...stranger, role: 'customer', tenantId: other.id } });
    meterCode = unique('lim').replace(/-/g, '_');
    await api.call('POST', '/api/meters', {
      token: admin,
      body: { code: meterCode, name: 'Limited calls (e2e)', eventType: `lim.${meterCode}`, aggregation: 'count' },
    });
    ({ key: ingestKey } = await api.call<{ key: string }>('POST', `/api/tenants/${tenant.id}/api-keys`, {
      token: admin,
      body: { name: 'e2e' },
    }));
    await api.ingest(
      ingestKey,
      Array.from({ length: 3 }, (_, i) => ({ id: unique(`l${i}`), type: `lim.${meterCode}` })),
    );
    browser = await launchBrowser();
    adminPage = await newPage(browser, stack.baseUrl);
    customerPage = await newPage(browser, stack.baseUrl);
    strangerPage = await newPage(browser, stack.baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('an admin sees a malformed limit refused at its field, then adds a hard limit that shows its usage', async () => {
    await signIn(adminPage, stack.admin.email, stack.admin.password);
    await adminPage.goto(`/tenants/${tenant.id}`);
    await hydrated(adminPage);
    await expect.poll(() => adminPage.getByTestId('usage-limits').textContent(), LONG).toContain('No usage limits.');

    await addLimit(adminPage, '1.5.5', 'Add limit');
    const error = adminPage.getByTestId('add-limit').locator('[data-field-error="limit"]');
    await expect.poll(() => error.textContent(), LONG).toContain('must be a decimal string');
    expect(await rows(adminPage).count()).toBe(0);

    await addLimit(adminPage, '100', 'Add limit');
    await rowOf(adminPage, 'admin').waitFor();
    expect(await rows(adminPage).count()).toBe(1);
    // The 3 events of today count in the day's window (the exact deduplicated meter value).
    await expect
      .poll(() => figures(rowOf(adminPage, 'admin')), LONG)
      .toEqual({ limit: '100', used: '3', reserved: '0', remaining: '97', owner: 'admin' });
    expect(await rowOf(adminPage, 'admin').getByRole('button', { name: 'Delete' }).count()).toBe(1);
    await screenshot(adminPage, 'usage-limits-admin');
  });

  it("the tenant's customer sees the admin's limit with an open reservation, and has no delete button for it", async () => {
    // given an authorization of 5 by the tenant's service, not yet settled
    const answer = await api.call<{ authorized: boolean; remaining: string }>('POST', '/api/usage/authorize', {
      token: ingestKey,
      body: { meter: meterCode, quantity: '5', idempotencyKey: unique('auth'), ttlSeconds: 3600 },
    });
    expect(answer).toMatchObject({ authorized: true, remaining: '92' });

    await signIn(customerPage, customer.email, customer.password);
    await customerPage.goto(`/tenants/${tenant.id}`);
    await hydrated(customerPage);
    await expect
      .poll(() => figures(rowOf(customerPage, 'admin')), LONG)
      .toEqual({ limit: '100', used: '3', reserved: '5', remaining: '92', owner: 'admin' });
    expect(await rowOf(customerPage, 'admin').getByRole('button', { name: 'Delete' }).count()).toBe(0);
  });

  it('the customer adds a tighter limit of their own, which then decides authorization', async () => {
    await addLimit(customerPage, '10', 'Add my own limit');
    await rowOf(customerPage, 'customer').waitFor();
    expect(await rows(customerPage).count()).toBe(2);
    await expect
      .poll(() => figures(rowOf(customerPage, 'customer')), LONG)
      .toEqual({ limit: '10', used: '3', reserved: '0', remaining: '7', owner: 'customer' });
    expect(await rowOf(customerPage, 'customer').getByRole('button', { name: 'Delete' }).count()).toBe(1);
    await screenshot(customerPage, 'usage-limits-customer');

    // 8 fits the admin's 100 (92 left) but not the customer's 10 (7 left): every limit applies.
    const refused = await api.call<{ authorized: boolean; limit: string }>('POST', '/api/usage/authorize', {
      token: ingestKey,
      body: { meter: meterCode, quantity: '8', idempotencyKey: unique('auth') },
    });
    expect(refused).toMatchObject({ authorized: false, limit: '10' });
    // The admin sees the customer's limit too, marked as the customer's; the limits cost the page
    // no call of their own (they come with the tenant overview; api-call-budget.e2e.ts has the budget).
    const calls = (await adminPage.reload())?.headers()['x-api-calls'] ?? '';
    console.info('tenant page API calls with two limits (admin)', calls);
    const [, load, rounds] = /^load=(\d+); rounds=(\d+);/.exec(calls) ?? [];
    expect(Number(load), calls).toBeLessThanOrEqual(6);
    expect(Number(rounds), calls).toBeLessThanOrEqual(2);
    await rowOf(adminPage, 'customer').waitFor();
    expect(await rows(adminPage).count()).toBe(2);
    expect(await rowOf(adminPage, 'customer').getByTestId('limit-owner').textContent()).toBe('customer');
  });

  it("the API refuses the customer's deletion of the admin's limit; the customer deletes their own", async () => {
    const token = await api.login(customer.email, customer.password);
    const adminLimit = (await limitsOf(token)).find((l) => l.createdBy === 'admin')!;
    const response = await fetch(`${stack.baseUrl}/api/tenants/${tenant.id}/usage-limits/${adminLimit.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toContain('application/problem+json');

    customerPage.once('dialog', (dialog) => void dialog.accept());
    await rowOf(customerPage, 'customer').getByRole('button', { name: 'Delete' }).click();
    await rowOf(customerPage, 'customer').waitFor({ state: 'detached' });
    expect(await rows(customerPage).count()).toBe(1);
    expect(await rowOf(customerPage, 'admin').count()).toBe(1);
    expect((await limitsOf(token)).map((l) => l.createdBy)).toEqual(['admin']);
  });

  it("a customer of another tenant gets the not-found page for this tenant's page", async () => {
    await signIn(strangerPage, stranger.email, stranger.password);
    const response = await strangerPage.goto(`/tenants/${tenant.id}`);
    expect(response?.status()).toBe(404);
    await expect.poll(() => strangerPage.getByRole('heading', { level: 1 }).textContent(), LONG).toBe('Not found');
    const html = await strangerPage.content();
    expect(html).not.toContain(tenant.name);
    expect(html).not.toContain(meterCode);
  });

  it('met no Content-Security-Policy violation on any page', () => {
    expect([...cspViolations(adminPage), ...cspViolations(customerPage), ...cspViolations(strangerPage)]).toEqual([]);
  });
});
