import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { cspViolations, hydrated, launchBrowser, newPage, screenshot, signIn } from '../../harness/e2e/browser.ts';
import { apiOf, unique } from '../../harness/e2e/api.ts';
import { callsOf } from '../../harness/e2e/api-calls.ts';

type Balance = { granted: string; available: string; grants: { reason: string }[] };

// Credits on the tenant page: finance grants credit through the form (a refused field shows at
// its input, a double click and a double submission grant once), the tenant's customer sees the
// balance and the ledger but no form, and a customer of another tenant gets the not-found page.
describe('credits journey: grant, balance, ledger, and who sees them', () => {
  const stack = inject('stack');
  const api = apiOf(stack);
  let browser: Browser;
  let page: Page;
  const finance = { email: `${unique('credit-finance')}@e2e.meterplane.test`, password: 'finance-password-1' };
  const customer = { email: `${unique('credit-customer')}@e2e.meterplane.test`, password: 'customer-password-1' };
  const stranger = { email: `${unique('credit-stranger')}@e2e.meterplane.test`, password: 'customer-password-1' };
  let tenant: { id: string; name: string };
  let admin: string;
  const grantPosts: string[] = [];
  // A submission answers once the page's loads have run again: time for a busy machine.
  const slow = { timeout: 20_000 };
  const balance = async () => api.call<Balance>('GET', `/api/tenants/${tenant.id}/credit-balance`, { token: admin });

  beforeAll(async () => {
    // given a tenant (USD, no subscription: nothing pending) with a customer, a finance user, and another tenant's customer
    admin = await api.adminToken();
    tenant = await api.call('POST', '/api/tenants', { token: admin, body: { name: unique('Credit Co') } });
    const other = await api.call<{ id: string }>('POST', '/api/tenants', { token: admin, body: { name: unique('Elsewhere Co') } });
    await api.call('POST', '/api/users', { token: admin, body: { ...finance, role: 'finance' } });
    await api.call('POST', '/api/users', { token: admin, body: { ...customer, role: 'customer', tenantId: tenant.id } });
    await api.call('POST', '/api/users', { token: admin, body: { ...stranger, role: 'customer', tenantId: other.id } });
    browser = await launchBrowser();
    page = await newPage(browser, stack.baseUrl);
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('grantCredit')) grantPosts.push(r.url());
    });
  });
  /** Waits until no grant submission is in flight (the button is enabled again). */
  const settled = () => expect.poll(() => page.getByRole('button', { name: 'Grant credit' }).isEnabled(), slow).toBe(true);
  afterAll(async () => {
    await browser?.close();
  });

  it('finance sees a refused field at its input, then grants credit and sees the balance and the ledger entry', async () => {
    await signIn(page, finance.email, finance.password);
    await page.goto(`/tenants/${tenant.id}`);
    await hydrated(page);
    const card = page.getByTestId('credits');
    await expect.poll(() => card.getByTestId('credit-available').textContent()).toBe('$0.00');
    const form = card.getByTestId('credit-grant-form');

    // when the amount has more decimals than USD has
    await form.getByLabel('Amount').fill('1.001');
    await form.getByLabel('Reason').fill('e2e refused');
    await form.getByRole('button', { name: 'Grant credit' }).click();
    // then the API's message shows beside the amount, and nothing was granted
    await expect.poll(() => form.locator('[data-field-error="amount"]').textContent(), slow).toMatch(/decimals/);
    expect(await form.getByLabel('Reason').inputValue()).toBe('e2e refused');

    // when finance double-clicks the grant button
    await form.getByLabel('Amount').fill('25.00');
    await form.getByLabel('Reason').fill('e2e promo');
    grantPosts.length = 0;
    await form.getByRole('button', { name: 'Grant credit' }).dblclick();
    // then there is one grant: the balance, the ledger entry
    await expect.poll(() => card.getByTestId('credit-granted-message').textContent(), slow).toContain('$25.00');
    await expect.poll(() => card.getByTestId('credit-available').textContent(), slow).toBe('$25.00');
    expect(await card.getByTestId('credit-granted').textContent()).toBe('$25.00');
    const rows = card.getByTestId('credit-ledger-row');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-kind')).toBe('grant');
    expect(await rows.first().textContent()).toContain('$25.00');
    await settled();
    console.info('grant submissions of a double click', grantPosts.length);
    expect((await balance()).grants.filter((g) => g.reason === 'e2e promo')).toHaveLength(1);
    await screenshot(page, 'credits-finance-granted');
  });

  it('two submissions of one grant while the first runs grant once (one Idempotency-Key per intended grant)', async () => {
    const form = page.getByTestId('credit-grant-form');
    await form.getByLabel('Amount').fill('10.00');
    await form.getByLabel('Reason').fill('e2e twice');
    // when the form is submitted twice in one go (past the disabled button, as a resubmission would be)
    grantPosts.length = 0;
    await form.evaluate((f) => {
      const submit = () => (f as unknown as { requestSubmit(): void }).requestSubmit();
      submit();
      submit();
    });
    // then the API made one grant of the two requests
    await settled();
    expect(grantPosts).toHaveLength(2);
    await expect.poll(() => page.getByTestId('credit-available').textContent(), slow).toBe('$35.00');
    await expect.poll(async () => (await balance()).grants.filter((g) => g.reason === 'e2e twice').length).toBe(1);
    expect((await balance()).granted).toBe('35.00');
    expect(await page.getByTestId('credit-ledger-row').count()).toBe(2);
    expect(cspViolations(page)).toEqual([]);
  });

  it("the tenant's customer sees the balance and pages the ledger, without a grant form, within the page's call budget", async () => {
    // given more entries than one ledger page holds (20)
    for (let i = 0; i < 19; i++) {
      await api.call('POST', `/api/tenants/${tenant.id}/credit-grants`, {
        token: admin,
        body: { amount: '1.00', currency: 'USD', reason: `e2e bulk ${i}` },
      });
    }
    const own = await newPage(browser, stack.baseUrl);
    await signIn(own, customer.email, customer.password);
    const first = callsOf(await own.goto(`/tenants/${tenant.id}`));
    expect(first.load).toBeLessThanOrEqual(6);
    expect(first.rounds).toBeLessThanOrEqual(2);
    const card = own.getByTestId('credits');
    await expect.poll(() => card.getByTestId('credit-available').textContent()).toBe('$54.00');
    expect(await card.getByTestId('credit-grant-form').count()).toBe(0);
    expect(await own.getByRole('button', { name: 'Grant credit' }).count()).toBe(0);
    expect(await card.getByTestId('credit-ledger-row').count()).toBe(20);
    await screenshot(own, 'credits-customer');

    // when they follow Next, then the last entry is on the second page, which cost no further call
    const next = await card.getByRole('link', { name: 'Next →' }).getAttribute('href');
    expect(next).toMatch(/[?&]ledger=\d+/);
    const second = callsOf(await own.goto(next!));
    expect(second.load).toBeLessThanOrEqual(6);
    expect(second.rounds).toBeLessThanOrEqual(2);
    const rows = own.getByTestId('credits').getByTestId('credit-ledger-row');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('$54.00');
    expect(await own.getByTestId('credits').getByRole('link', { name: 'Next →' }).count()).toBe(0);
    expect(cspViolations(own)).toEqual([]);
    await own.context().close();
  });

  it("a customer of another tenant gets the not-found page for this tenant's credit", async () => {
    const elsewhere = await newPage(browser, stack.baseUrl);
    await signIn(elsewhere, stranger.email, stranger.password);
    for (const path of [`/tenants/${tenant.id}`, `/tenants/${tenant.id}?ledger=1`]) {
      const response = await elsewhere.goto(path);
      expect(response?.status(), path).toBe(404);
      await expect.poll(() => elsewhere.getByRole('heading', { level: 1 }).textContent()).toBe('Not found');
      expect(await elsewhere.getByTestId('credits').count()).toBe(0);
      expect(await elsewhere.content()).not.toContain(tenant.name);
    }
    await screenshot(elsewhere, 'credits-other-customer-not-found');
    await elsewhere.context().close();
  });
});
