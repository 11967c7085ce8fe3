import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { cspViolations, hydrated, launchBrowser, markDocument, newPage, screenshot, signIn } from '../../harness/e2e/browser.ts';
import { apiOf, unique } from '../../harness/e2e/api.ts';

// Journey: "why wasn't this event billed?" from the tenant page. An admin looks up an event of
// a metered type the tenant has no subscription for, an event no meter reads, and an id never
// sent; the tenant's customer looks up their own event. The lookup is a form action: it runs on
// submit only and keeps the page (no reload).
describe('tenant page: explain one event', () => {
  const stack = inject('stack');
  const api = apiOf(stack);
  let browser: Browser;
  let page: Page;
  const customer = { email: `${unique('explain-customer')}@e2e.meterplane.test`, password: 'customer-password-1' };
  let tenant: { id: string };
  let meterCode: string;
  const ids = { metered: unique('metered'), unmetered: unique('unmetered') };

  beforeAll(async () => {
    // given a tenant without a subscription, a meter of one type, and two events posted with its key
    const admin = await api.adminToken();
    tenant = await api.call('POST', '/api/tenants', { token: admin, body: { name: unique('Explain Co') } });
    await api.call('POST', '/api/users', { token: admin, body: { ...customer, role: 'customer', tenantId: tenant.id } });
    meterCode = unique('exp').replace(/-/g, '_');
    await api.call('POST', '/api/meters', {
      token: admin,
      body: { code: meterCode, name: 'Explained (e2e)', eventType: `exp.${meterCode}`, aggregation: 'count' },
    });
    const { key } = await api.call<{ key: string }>('POST', `/api/tenants/${tenant.id}/api-keys`, { token: admin, body: { name: 'e2e' } });
    await api.ingest(key, [
      { id: ids.metered, type: `exp.${meterCode}` },
      { id: ids.unmetered, type: `nobody.reads.${meterCode}` },
    ]);
    browser = await launchBrowser();
    page = await newPage(browser, stack.baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
  });

  const lookUp = async (id: string) => {
    const panel = page.getByTestId('event-explain');
    await panel.getByLabel('Event id').fill(id);
    await panel.getByRole('button', { name: 'Explain' }).click();
    return panel;
  };

  it('explains a metered event outside any subscription and an unmetered one, without reloading the page', async () => {
    await signIn(page, stack.admin.email, stack.admin.password);
    await page.goto(`/tenants/${tenant.id}`);
    await hydrated(page);
    const sameDocument = await markDocument(page);
    const panel = await lookUp(ids.metered);
    await expect
      .poll(() => panel.getByTestId('explain-verdict').first().textContent(), { timeout: 15_000 })
      .toContain('no subscription charging the meter covered its time');
    expect(await panel.getByTestId('explain-delivery').count()).toBe(1);
    expect(await panel.getByTestId('explain-delivery').first().textContent()).toContain('won');

    await lookUp(ids.unmetered);
    await expect
      .poll(() => panel.getByTestId('explain-verdict').first().textContent(), { timeout: 15_000 })
      .toContain('no meter reads this event type');
    expect(await sameDocument()).toBe(true);
    await screenshot(page, 'journey-event-explain');
  });

  it('says so when no delivery of the id exists', async () => {
    const panel = await lookUp(unique('never-sent'));
    await expect.poll(() => panel.getByTestId('form-error').textContent(), { timeout: 15_000 }).toContain('No delivery of event');
  });

  it("lets the tenant's customer explain their own event", async () => {
    const other = await newPage(browser, stack.baseUrl);
    const saved = page;
    page = other;
    try {
      await signIn(page, customer.email, customer.password);
      expect(new URL(page.url()).pathname).toBe(`/tenants/${tenant.id}`);
      await hydrated(page);
      const panel = await lookUp(ids.metered);
      await expect.poll(() => panel.getByTestId('explain-verdict').first().textContent(), { timeout: 15_000 }).toContain('not billed');
      expect(cspViolations(page)).toEqual([]);
    } finally {
      page = saved;
      await other.close();
    }
  });
});
