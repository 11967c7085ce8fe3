import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { cspViolations, hydrated, launchBrowser, markDocument, navigate, newPage, screenshot, signIn } from '../../harness/e2e/browser.ts';
import { apiOf, unique } from '../../harness/e2e/api.ts';

// Journey 1: an admin signs in, creates a meter, a plan and a tenant, creates an API key,
// posts usage with that key (as a service would, from the test), and watches the tenant's
// usage counter rise live, without a reload.
describe('admin journey: from nothing to live usage', () => {
  const stack = inject('stack');
  const api = apiOf(stack);
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await newPage(browser, stack.baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('creates a meter, a plan, a tenant and a key, then sees posted usage arrive live', async () => {
    const code = unique('calls').replace(/-/g, '_');
    const eventType = `api.${code}`;

    // given an admin signed in through the form
    await signIn(page, stack.admin.email, stack.admin.password);
    expect(new URL(page.url()).pathname).toBe('/');

    // when they create a meter
    await navigate(page, 'Meters');
    await page.getByRole('link', { name: 'New meter' }).click();
    await page.getByLabel('Code', { exact: true }).fill(code);
    await page.getByLabel('Name', { exact: true }).fill('API calls (e2e)');
    await page.getByLabel('Event type').fill(eventType);
    await page.getByLabel('Aggregation').selectOption('count');
    await page.getByRole('button', { name: 'Create meter' }).click();
    await expect.poll(() => page.getByTestId('meter-name').textContent()).toBe('API calls (e2e)');

    // and a plan pricing it, which quotes live
    await page.goto('/plans/new');
    await hydrated(page);
    await page.getByLabel('Code', { exact: true }).fill(unique('plan'));
    await page.getByLabel('Name', { exact: true }).fill('Starter (e2e)');
    await page.getByLabel('Base fee per period').fill('29');
    await page.getByLabel('Meter', { exact: true }).selectOption(code);
    await page.getByLabel('Pricing model').selectOption('per_unit');
    await page.getByLabel('Unit price').fill('0.01');
    await page.getByRole('button', { name: 'Create plan' }).click();
    await expect.poll(() => page.getByTestId('plan-name').textContent()).toBe('Starter (e2e)');
    await page.getByLabel(`${code} quantity`).fill('1000');
    await expect.poll(() => page.getByTestId('quote-total').textContent(), { timeout: 10_000 }).toBe('$39.00');

    // and a tenant
    await navigate(page, 'Tenants');
    await page.getByRole('button', { name: 'New tenant' }).click();
    const tenantName = unique('Acme');
    await page.getByLabel('Name', { exact: true }).fill(tenantName);
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await expect.poll(() => page.getByTestId('tenant-name').textContent()).toBe(tenantName);

    // and an API key, shown once
    await page.getByLabel('New key name').fill('ingest (e2e)');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('created-key-secret').textContent())?.trim() ?? '';
    expect(key.length).toBeGreaterThan(20);

    const counter = page.getByTestId(`usage-events-${code}`);
    await expect.poll(() => counter.textContent()).toBe('0');
    const sameDocument = await markDocument(page);

    // then usage posted with that key makes the counter rise, live
    const events = Array.from({ length: 7 }, (_, i) => ({ id: unique(`e${i}`), type: eventType, data: { i } }));
    expect(await api.ingest(key, events)).toMatchObject({ accepted: 7 });
    await expect.poll(() => counter.textContent(), { timeout: 15_000 }).toBe('7');
    const more = Array.from({ length: 5 }, (_, i) => ({ id: unique(`f${i}`), type: eventType }));
    await api.ingest(key, more);
    await expect.poll(() => counter.textContent(), { timeout: 15_000 }).toBe('12');
    expect(await sameDocument()).toBe(true);

    await screenshot(page, 'journey-1-admin-live-usage');
  });

  it('met no Content-Security-Policy violation on any page', () => {
    expect(cspViolations(page)).toEqual([]);
  });
});
