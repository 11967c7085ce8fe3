import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { cspViolations, hydrated, launchBrowser, newPage, screenshot, signIn } from '../../harness/e2e/browser.ts';
import { apiOf, unique } from '../../harness/e2e/api.ts';

const DAY = 86_400_000;

// Journeys: an admin changes a tenant's plan from the tenant page (preview first, then confirm),
// and cancels a subscription at the period end and then at once. Finance and the tenant's
// customer see neither control (the API refuses them too: test/billing/plan-change-preview.int.test.ts).
describe('tenant page: plan change and cancellation', () => {
  const stack = inject('stack');
  const api = apiOf(stack);
  let browser: Browser;
  let page: Page;
  const customer = { email: `${unique('change-customer')}@e2e.meterplane.test`, password: 'customer-password-1' };
  const finance = { email: `${unique('change-finance')}@e2e.meterplane.test`, password: 'finance-password-1' };
  let changing: { id: string };
  let ending: { id: string };
  let basic: { id: string };
  let pro: { id: string };

  const subscribe = async (admin: string, tenantId: string, planId: string) =>
    api.call('POST', '/api/subscriptions', {
      token: admin,
      body: { tenantId, planId, startAt: new Date(Date.now() - 10 * DAY).toISOString() },
    });
  // An action waits for the workflow's Update: allow it more than expect.poll's default second.
  const ACTION = { timeout: 15_000, interval: 200 };
  /** Reloads the tenant page until the subscription card shows `text` (the read model follows the workflow). */
  const untilCardShows = async (tenantId: string, text: string) => {
    await expect
      .poll(
        async () => {
          await page.goto(`/tenants/${tenantId}`);
          return page.getByTestId('subscription').textContent();
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toContain(text);
  };

  beforeAll(async () => {
    // given two tenants on a 30.00 plan since ten days ago, a 90.00 plan to move to, a finance user and a customer
    const admin = await api.adminToken();
    changing = await api.call('POST', '/api/tenants', { token: admin, body: { name: unique('Changer Co') } });
    ending = await api.call('POST', '/api/tenants', { token: admin, body: { name: unique('Leaver Co') } });
    await api.call('POST', '/api/users', { token: admin, body: { ...customer, role: 'customer', tenantId: changing.id } });
    await api.call('POST', '/api/users', { token: admin, body: { ...finance, role: 'finance' } });
    basic = await api.call('POST', '/api/pricing/plans', {
      token: admin,
      body: { code: unique('basic'), name: 'Basic e2e', currency: 'USD', interval: 'month', baseFee: '30.00', charges: [] },
    });
    pro = await api.call('POST', '/api/pricing/plans', {
      token: admin,
      body: { code: unique('pro'), name: 'Pro e2e', currency: 'USD', interval: 'month', baseFee: '90.00', charges: [] },
    });
    await subscribe(admin, changing.id, basic.id);
    await subscribe(admin, ending.id, basic.id);
    browser = await launchBrowser();
    page = await newPage(browser, stack.baseUrl);
    await signIn(page, stack.admin.email, stack.admin.password);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('previews a change at the period end and one now, then confirms the change now', async () => {
    await page.goto(`/tenants/${changing.id}`);
    await hydrated(page);
    const changes = page.getByTestId('subscription-changes');
    await changes.getByText('Change plan').click();
    await changes.getByLabel('New plan').selectOption(pro.id);

    // At the period end: the period stays Basic's, in full, and Pro follows.
    await changes.getByLabel('at the period end').check();
    await changes.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByTestId('plan-change-preview');
    await expect.poll(() => preview.getByTestId('preview-next').textContent(), ACTION).toContain('Pro e2e v1, base fee $90.00');
    expect(await preview.getByTestId('preview-part').count()).toBe(1);
    expect(await preview.getByTestId('preview-part-total').first().textContent()).toBe('$30.00');

    // Now: the period splits, Basic's part before and Pro's after, each prorated.
    await changes.getByLabel('now (prorated)').check();
    await changes.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => preview.getByTestId('preview-effective').textContent(), ACTION).toContain('Takes effect now');
    const parts = preview.getByTestId('preview-part');
    expect(await parts.count()).toBe(2);
    expect(await parts.nth(0).textContent()).toContain('Basic e2e v1');
    expect(await parts.nth(1).textContent()).toContain('Pro e2e v1');
    // Ten days of a month under Basic (28 to 31 days long): between 30 × 10/31 and 30 × 10/28.
    const basicShare = Number((await parts.nth(0).getByTestId('preview-part-total').textContent())!.replace('$', ''));
    expect(basicShare).toBeGreaterThanOrEqual(9.67);
    expect(basicShare).toBeLessThanOrEqual(10.72);
    await screenshot(page, 'plan-change-preview');

    await preview.getByRole('button', { name: 'Confirm plan change' }).click();
    await expect.poll(() => page.getByTestId('plan-changed').textContent(), ACTION).toMatch(/^Now on pro-.* v1\.$/);
    await untilCardShows(changing.id, 'Pro e2e');
    expect(cspViolations(page)).toEqual([]);
  });

  it('cancels at the period end, then at once, saying what each invoices', async () => {
    await page.goto(`/tenants/${ending.id}`);
    await hydrated(page);
    const cancel = page.getByTestId('cancel-subscription');
    await cancel.getByRole('button', { name: 'Cancel at period end…' }).click();
    expect(await page.getByTestId('cancel-confirmation').textContent()).toContain('is invoiced in full when it ends');
    await page.getByRole('button', { name: 'Confirm cancellation' }).click();
    await expect
      .poll(() => page.getByTestId('subscription-canceled').textContent(), ACTION)
      .toBe('The subscription ends at the period end.');
    await untilCardShows(ending.id, 'cancels at the period end');

    await hydrated(page);
    await page.getByTestId('cancel-subscription').getByRole('button', { name: 'Cancel now…' }).click();
    expect(await page.getByTestId('cancel-confirmation').textContent()).toContain('A final invoice is issued now');
    await page.getByRole('button', { name: 'Confirm cancellation' }).click();
    await expect.poll(() => page.getByTestId('subscription-canceled').textContent(), ACTION).toContain('Canceled at');
    await untilCardShows(ending.id, 'canceled');
    // The final invoice, for the ten days so far, arrives once the workflow has issued it.
    await expect
      .poll(
        async () => {
          await page.goto(`/tenants/${ending.id}`);
          return page.getByTestId('invoice-row').count();
        },
        { timeout: 60_000, interval: 2000 },
      )
      .toBe(1);
    expect(await page.getByTestId('subscription-changes').count()).toBe(0);
  });

  it("shows neither control to finance or to the tenant's customer", async () => {
    for (const user of [finance, customer]) {
      const other = await newPage(browser, stack.baseUrl);
      await signIn(other, user.email, user.password);
      await other.goto(`/tenants/${changing.id}`);
      await other.getByTestId('subscription-status').first().waitFor();
      expect(await other.getByTestId('subscription-changes').count()).toBe(0);
      expect(await other.getByText('Change plan').count()).toBe(0);
      await other.context().close();
    }
  });
});
