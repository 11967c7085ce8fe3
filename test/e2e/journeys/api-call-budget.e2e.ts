import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { cspViolations, launchBrowser, newPage, screenshot, signIn } from '../../harness/e2e/browser.ts';
import { apiOf, unique } from '../../harness/e2e/api.ts';
import { callsOf, type Calls } from '../../harness/e2e/api-calls.ts';

// The API calls each page costs, from the dashboard's `x-api-calls` header (see callsOf).

describe('API call budget of the overview and the tenant page', () => {
  const stack = inject('stack');
  const api = apiOf(stack);
  let browser: Browser;
  let page: Page;
  let tenant: { id: string; name: string };
  const customer = { email: `${unique('budget-customer')}@e2e.meterplane.test`, password: 'customer-password-1' };
  let meterCode: string;

  beforeAll(async () => {
    // given a tenant with a subscription in its first period, usage, an invoice, and a customer
    const admin = await api.adminToken();
    tenant = await api.call('POST', '/api/tenants', { token: admin, body: { name: unique('Budget Co') } });
    await api.call('POST', '/api/users', { token: admin, body: { ...customer, role: 'customer', tenantId: tenant.id } });
    meterCode = unique('calls').replace(/-/g, '_');
    await api.call('POST', '/api/meters', {
      token: admin,
      body: { code: meterCode, name: 'Calls (e2e)', eventType: `call.${meterCode}`, aggregation: 'count' },
    });
    const plan = await api.call<{ id: string }>('POST', '/api/pricing/plans', {
      token: admin,
      body: {
        code: unique('budget'),
        name: 'Budget plan (e2e)',
        currency: 'USD',
        interval: 'month',
        baseFee: '10.00',
        charges: [{ meter: meterCode, model: 'per_unit', unitPrice: '0.25' }],
      },
    });
    await api.call('POST', '/api/subscriptions', { token: admin, body: { tenantId: tenant.id, planId: plan.id } });
    const { key } = await api.call<{ key: string }>('POST', `/api/tenants/${tenant.id}/api-keys`, { token: admin, body: { name: 'e2e' } });
    await api.ingest(
      key,
      Array.from({ length: 8 }, (_, i) => ({ id: unique(`c${i}`), type: `call.${meterCode}` })),
    );

    browser = await launchBrowser();
    page = await newPage(browser, stack.baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('the overview takes at most 10 API calls, in one round trip', async () => {
    await signIn(page, stack.admin.email, stack.admin.password);
    const calls = callsOf(await page.goto('/'));
    console.info('overview API calls', calls);
    expect(calls.load).toBeLessThanOrEqual(10);
    expect(calls.rounds).toBe(1);
    expect(calls.session).toBe(1);
    await expect.poll(() => page.getByTestId('kpi-mrr-USD').textContent()).toMatch(/\$/);
    await expect.poll(() => page.getByTestId(`usage-total-${meterCode}`).textContent()).toBe('8');
    await screenshot(page, 'api-call-budget-overview');
  });

  it('the tenant page takes at most 6 API calls in at most 2 round trips, for an operator and its customer', async () => {
    const operator = callsOf(await page.goto(`/tenants/${tenant.id}`));
    console.info('tenant page API calls (admin)', operator);
    expect(operator.load).toBeLessThanOrEqual(6);
    expect(operator.rounds).toBeLessThanOrEqual(2);
    // The estimate of the period so far: 10.00 + 8 × 0.25, priced by the API.
    await expect.poll(() => page.getByTestId('period-estimate').textContent()).toContain('$12.00');
    await screenshot(page, 'api-call-budget-tenant');

    const own = await newPage(browser, stack.baseUrl);
    await signIn(own, customer.email, customer.password);
    const customerCalls = callsOf(await own.goto(`/tenants/${tenant.id}`));
    console.info('tenant page API calls (customer)', customerCalls);
    expect(customerCalls.load).toBeLessThanOrEqual(6);
    expect(customerCalls.rounds).toBeLessThanOrEqual(2);
    await expect.poll(() => own.getByTestId('period-estimate').textContent()).toContain('$12.00');
    expect(cspViolations(own)).toEqual([]);
    await own.context().close();
  });

  it('a burst of live usage refreshes the tenant page a few times, not once per event', async () => {
    // given the tenant page open, and a count of its data requests (each refresh is one)
    await page.goto(`/tenants/${tenant.id}`);
    await expect.poll(() => page.getByTestId(`usage-events-${meterCode}`).textContent()).toBe('8');
    const refreshes: Calls[] = [];
    page.on('response', (r) => {
      if (r.url().includes('__data.json')) refreshes.push(callsOf(r));
    });
    // when events arrive for 6 seconds (ticks once a second)
    const { key } = await api.call<{ key: string }>('POST', `/api/tenants/${tenant.id}/api-keys`, {
      token: await api.adminToken(),
      body: { name: 'burst' },
    });
    for (let s = 0; s < 6; s++) {
      await api.ingest(
        key,
        Array.from({ length: 5 }, (_, i) => ({ id: unique(`b${s}-${i}`), type: `call.${meterCode}` })),
      );
      await new Promise((r) => setTimeout(r, 1000));
    }
    // then the exact figure arrives, after at most a few refreshes, each within the budget
    await expect.poll(() => page.getByTestId(`usage-events-${meterCode}`).textContent(), { timeout: 15_000 }).toBe('38');
    await new Promise((r) => setTimeout(r, 2000));
    console.info('refreshes during a 6 s burst', refreshes);
    expect(refreshes.length).toBeGreaterThan(0);
    expect(refreshes.length).toBeLessThanOrEqual(3);
    for (const r of refreshes) expect(r.load).toBeLessThanOrEqual(6);
    expect(cspViolations(page)).toEqual([]);
  });
});
