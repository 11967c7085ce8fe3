import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Client, Connection } from '@temporalio/client';
import { ANOMALY_SCAN_WORKFLOW, TASK_QUEUE, type AnomalyScanInput } from '../../../workflows/contract.ts';
import { cspViolations, launchBrowser, markDocument, navigate, newPage, screenshot, signIn } from '../../harness/e2e/browser.ts';
import { apiOf, unique } from '../../harness/e2e/api.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

// Journey 4: a usage spike is found by the anomaly scan (the Temporal workflow the
// `anomaly-scan` schedule runs every 5 min) and the alert appears on the open alerts page,
// live, without a reload.
describe('alerts journey: a spike appears live', () => {
  const stack = inject('stack');
  const api = apiOf(stack);
  let browser: Browser;
  let page: Page;
  let temporal: Connection;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await newPage(browser, stack.baseUrl);
    temporal = await Connection.connect({ address: stack.temporalAddress });
  });
  afterAll(async () => {
    await browser?.close();
    await temporal?.close();
  });

  it('shows the alert raised by a 10× spike while the page is open', async () => {
    // given a tenant with a steady baseline: 20 events in the same 5-minute window on each of
    // the previous 7 days, and 200 in the window the scan looks at
    const admin = await api.adminToken();
    const tenant = await api.call<{ id: string; name: string }>('POST', '/api/tenants', {
      token: admin,
      body: { name: unique('Spiky Inc') },
    });
    const { key } = await api.call<{ key: string }>('POST', `/api/tenants/${tenant.id}/api-keys`, { token: admin, body: { name: 'e2e' } });
    const eventType = `spike.${unique('calls')}`;
    const at = new Date();
    const windowEnd = Math.floor(at.getTime() / (5 * MINUTE)) * 5 * MINUTE;
    const windowStart = windowEnd - 5 * MINUTE;
    const events: { id: string; type: string; time: string }[] = [];
    for (let day = 1; day <= 7; day++) {
      for (let i = 0; i < 20; i++)
        events.push({ id: unique(`b${day}-${i}`), type: eventType, time: new Date(windowStart - day * DAY + i * 1000).toISOString() });
    }
    for (let i = 0; i < 200; i++)
      events.push({ id: unique(`s${i}`), type: eventType, time: new Date(windowStart + i * 1000).toISOString() });
    expect(await api.ingest(key, events)).toMatchObject({ accepted: events.length });

    // and an admin looking at the alerts page
    await signIn(page, stack.admin.email, stack.admin.password);
    await navigate(page, 'Alerts');
    await page.getByText('live', { exact: true }).waitFor();
    const sameDocument = await markDocument(page);

    // when the anomaly scan runs for that window
    const client = new Client({ connection: temporal });
    const input: AnomalyScanInput = { at: at.toISOString() };
    const result = await client.workflow.execute(ANOMALY_SCAN_WORKFLOW, {
      taskQueue: TASK_QUEUE,
      workflowId: unique('e2e-anomaly-scan'),
      args: [input],
    });
    expect(JSON.stringify(result)).toContain(tenant.id);

    // then its alert appears on the open page without a reload
    const alert = page.getByTestId('alert').filter({ hasText: tenant.name });
    await alert.first().waitFor({ timeout: 15_000 });
    expect(await alert.first().getAttribute('data-alert-kind')).toBe('usage_spike');
    expect(await alert.first().textContent()).toContain(eventType);
    expect(await page.getByTestId('live-alerts').textContent()).toContain('new since you opened this page');
    expect(await sameDocument()).toBe(true);
    await screenshot(page, 'journey-4-alert-live');
  });

  it('met no Content-Security-Policy violation on any page', () => {
    expect(cspViolations(page)).toEqual([]);
  });
});
