import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { cspViolations, hydrated, launchBrowser, newPage, screenshot, signIn } from '../../harness/e2e/browser.ts';
import { apiOf, unique } from '../../harness/e2e/api.ts';

type Settings = { gateway: string; declineFirstAttempts: number; transientFailuresPerAttempt: number; chargeDelayMs: number };

// Journey: finance chooses the gateway that charges a tenant's invoices; a refused value changes
// nothing; the tenant's customer reads the choice and cannot change it, nor see another tenant's.
describe('payment settings: finance chooses the gateway', () => {
  const stack = inject('stack');
  const api = apiOf(stack);
  let browser: Browser;
  let financePage: Page;
  let customerPage: Page;
  const finance = { email: `${unique('pay-finance')}@e2e.meterplane.test`, password: 'finance-password-1' };
  const customer = { email: `${unique('pay-customer')}@e2e.meterplane.test`, password: 'customer-password-1' };
  let tenant: { id: string; name: string };
  let other: { id: string; name: string };
  let admin: string;
  const settings = () => api.call<Settings>('GET', `/api/tenants/${tenant.id}/payment-settings`, { token: admin });

  beforeAll(async () => {
    admin = await api.adminToken();
    tenant = await api.call('POST', '/api/tenants', { token: admin, body: { name: unique('Gateway Co') } });
    other = await api.call('POST', '/api/tenants', { token: admin, body: { name: unique('Other Gateway Co') } });
    await api.call('POST', '/api/users', { token: admin, body: { ...finance, role: 'finance' } });
    await api.call('POST', '/api/users', { token: admin, body: { ...customer, role: 'customer', tenantId: tenant.id } });
    browser = await launchBrowser();
    financePage = await newPage(browser, stack.baseUrl);
    customerPage = await newPage(browser, stack.baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('finance reaches the settings from the tenant page; they start as the built-in gateway', async () => {
    await signIn(financePage, finance.email, finance.password);
    await financePage.goto(`/tenants/${tenant.id}`);
    await financePage.getByTestId('payment-settings-link').click();
    await financePage.waitForURL(`**/tenants/${tenant.id}/payments`);
    await hydrated(financePage);
    expect(await financePage.getByLabel('Gateway').inputValue()).toBe('builtin');
    expect(await financePage.getByLabel('Decline the first attempts').inputValue()).toBe('0');
  });

  it('refuses a value that is not a whole number, and one past the API’s range, at the field, changing nothing', async () => {
    await financePage.getByLabel('Gateway').selectOption('stripe');
    await financePage.getByLabel('Decline the first attempts').fill('two');
    await financePage.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => financePage.getByText('a whole number').count()).toBe(1);
    // The page keeps what was typed, so the choice is not lost with the refusal.
    expect(await financePage.getByLabel('Gateway').inputValue()).toBe('stripe');

    await financePage.getByLabel('Decline the first attempts').fill('101');
    await financePage.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => financePage.getByLabel('Decline the first attempts').getAttribute('aria-invalid')).toBe('true');
    expect(await financePage.getByTestId('payments-saved').count()).toBe(0);
    expect(await settings()).toMatchObject({ gateway: 'builtin', declineFirstAttempts: 0 });
  });

  it('saves the Stripe gateway with the built-in script kept, as the API then reads', async () => {
    await financePage.getByLabel('Decline the first attempts').fill('2');
    await expect.poll(() => financePage.getByTestId('stripe-note').count()).toBe(1);
    await financePage.getByRole('button', { name: 'Save' }).click();
    await financePage.getByTestId('payments-saved').waitFor();
    expect(await settings()).toMatchObject({
      gateway: 'stripe',
      declineFirstAttempts: 2,
      transientFailuresPerAttempt: 0,
      chargeDelayMs: 0,
    });

    await financePage.reload();
    await hydrated(financePage);
    expect(await financePage.getByLabel('Gateway').inputValue()).toBe('stripe');
    expect(await financePage.getByLabel('Decline the first attempts').inputValue()).toBe('2');
    await screenshot(financePage, 'journey-payment-settings-finance');
  });

  it('shows the tenant’s customer the gateway without a form, and another tenant’s settings as not found', async () => {
    await signIn(customerPage, customer.email, customer.password);
    await customerPage.goto(`/tenants/${tenant.id}/payments`);
    await expect.poll(() => customerPage.getByTestId('payments-gateway').textContent()).toBe('Gateway: Stripe');
    expect(await customerPage.getByRole('button', { name: 'Save' }).count()).toBe(0);
    // Posting the form's action by hand is refused by the API (a customer does not set payments).
    const forged = await customerPage.evaluate(async () => {
      const body = new FormData();
      for (const [k, v] of Object.entries({
        gateway: 'builtin',
        declineFirstAttempts: '0',
        transientFailuresPerAttempt: '0',
        chargeDelayMs: '0',
      }))
        body.set(k, v);
      const response = await fetch('?/save', { method: 'POST', body, headers: { 'x-sveltekit-action': 'true' } });
      return (await response.json()) as { type: string; status?: number };
    });
    expect(forged).toMatchObject({ type: 'failure', status: 403 });
    expect(await settings()).toMatchObject({ gateway: 'stripe', declineFirstAttempts: 2 });

    const response = await customerPage.goto(`/tenants/${other.id}/payments`);
    expect(response?.status()).toBe(404);
    expect(await customerPage.content()).not.toContain(other.name);
  });

  it('met no Content-Security-Policy violation on any page', () => {
    expect([...cspViolations(financePage), ...cspViolations(customerPage)]).toEqual([]);
  });
});
