import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestApi } from '../harness/api.ts';
import { expectResponseMatchesSpec } from '../harness/openapi-responses.ts';
import { until } from '../harness/until.ts';
import { cents, startBillingApi, stopBillingApi, type BillingHarness, type InvoiceWithLines } from '../harness/billing.ts';

// The late-usage horizon through the real app: lateUsageDays on plans, ingest's
// late_beyond_horizon warning and its nudge to canceled subscriptions, and invoice-now on a
// canceled subscription (the late-usage invoice, at once, once).

let env: TestWorkflowEnvironment;
let h: BillingHarness;
let api: TestApi;
const DAY = 86_400_000;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const call = (method: 'get' | 'post' | 'put', path: string, token: string, body?: object) => {
  const r = api.request[method](path).set(auth(token));
  return body ? r.send(body) : r;
};
const plan = (code: string, extra: Record<string, unknown> = {}) => ({
  code,
  name: code,
  currency: 'USD',
  interval: 'day',
  baseFee: '0',
  gracePeriodSeconds: 0,
  charges: [{ meter: 'views', model: 'per_unit', unitPrice: '1' }],
  ...extra,
});
const ingest = (tenantId: string, events: { id: string; time: number; type?: string }[]) =>
  call('post', '/api/usage/ingest', api.tokens.admin, {
    events: events.map((e) => ({ id: e.id, type: e.type ?? 'view', subject: tenantId, time: new Date(e.time).toISOString() })),
  });
const issuedCount = async (subscriptionId: string, n: number) =>
  until(
    `${n} issued invoices`,
    async () => {
      const all = await h.invoicesOf(subscriptionId);
      return all.length === n && all.every((i) => i.status !== 'draft') && all;
    },
    30_000,
  );
const adjustments = (i: InvoiceWithLines) =>
  i.lines.filter((l) => l.type === 'adjustment').map((l) => [Number(l.quantity), cents(l.amount_minor), l.usage_from!.getTime()]);

beforeAll(async () => {
  ({ env, h, api } = await startBillingApi([{ code: 'views', name: 'Views', eventType: 'view', aggregation: 'count' }]));
});
afterAll(async () => stopBillingApi({ env, h }));

describe('lateUsageDays on plans', () => {
  it('defaults to 35, accepts the largest value (400) and keeps each version its own', async () => {
    const dflt = await call('post', '/api/pricing/plans', api.tokens.admin, plan('lud-default'));
    expectResponseMatchesSpec('POST', '/api/pricing/plans', dflt);
    expect([dflt.status, dflt.body.lateUsageDays]).toEqual([201, 35]);
    const max = await call('post', '/api/pricing/plans', api.tokens.admin, plan('lud-max', { lateUsageDays: 400 }));
    expect([max.status, max.body.lateUsageDays]).toEqual([201, 400]);
    const zero = await call('put', `/api/pricing/plans/${max.body.id}`, api.tokens.admin, plan('lud-max', { lateUsageDays: 0 }));
    expect([zero.status, zero.body.lateUsageDays, zero.body.version]).toEqual([200, 0, 1]);

    // In use, a change makes version 2; version 1 keeps its horizon.
    const tenant = await h.createTenant({ name: 'Horizon versions' });
    expect((await call('post', '/api/subscriptions', api.tokens.admin, { tenantId: tenant.id, planId: max.body.id })).status).toBe(201);
    const v2 = await call('put', `/api/pricing/plans/${max.body.id}`, api.tokens.admin, plan('lud-max', { lateUsageDays: 400 }));
    expect([v2.body.version, v2.body.lateUsageDays]).toEqual([2, 400]);
    expect((await call('get', `/api/pricing/plans/${max.body.id}?version=1`, api.tokens.admin)).body.lateUsageDays).toBe(0);
  });

  it('refuses values out of range or not whole numbers with 400 naming lateUsageDays, and writes nothing', async () => {
    for (const [i, value] of [401, -1, 2.5, '35', null, 1e9].entries()) {
      const res = await call('post', '/api/pricing/plans', api.tokens.admin, plan(`lud-bad-${i}`, { lateUsageDays: value }));
      expectResponseMatchesSpec('POST', '/api/pricing/plans', res);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['lateUsageDays']);
    }
    const existing = (await call('post', '/api/pricing/plans', api.tokens.admin, plan('lud-update'))).body;
    const bad = await call('put', `/api/pricing/plans/${existing.id}`, api.tokens.admin, plan('lud-update', { lateUsageDays: 401 }));
    expect([bad.status, bad.body.errors[0].field]).toEqual([400, 'lateUsageDays']);
    expect((await call('get', `/api/pricing/plans/${existing.id}`, api.tokens.admin)).body.lateUsageDays).toBe(35);
    const written = await h.ownerQuery<{ n: string }>("SELECT count(*) AS n FROM plans WHERE code LIKE 'lud-bad-%'");
    expect(written[0]!.n).toBe('0');
  });

  it('is bounded by the database too: 400 is stored, 401 and -1 are refused', async () => {
    const id = (await call('post', '/api/pricing/plans', api.tokens.admin, plan('lud-db'))).body.id;
    await h.ownerQuery('UPDATE plan_versions SET late_usage_days = 400 WHERE plan_id = $1', [id]);
    for (const value of [401, -1]) {
      await expect(h.ownerQuery('UPDATE plan_versions SET late_usage_days = $2 WHERE plan_id = $1', [id, value])).rejects.toThrow(
        /late_usage_days/,
      );
    }
  });
});

describe('a canceled subscription within its horizon', () => {
  let subscriptionId: string;
  let tenantId: string;
  let start: number;

  beforeAll(async () => {
    tenantId = (await h.createTenant({ name: 'Canceled within the horizon' })).id;
    const planId = (await call('post', '/api/pricing/plans', api.tokens.admin, plan('late-cancel'))).body.id;
    start = (await env.currentTimeMs()) - 3 * DAY;
    subscriptionId = (
      await call('post', '/api/subscriptions', api.tokens.admin, { tenantId, planId, startAt: new Date(start).toISOString() })
    ).body.id;
    await issuedCount(subscriptionId, 3);
    expect((await call('post', `/api/subscriptions/${subscriptionId}/cancel`, api.tokens.admin, { at: 'immediate' })).status).toBe(200);
    await issuedCount(subscriptionId, 4);
    await until(
      'the read model to show the cancellation',
      async () =>
        (await h.ownerQuery<{ status: string }>('SELECT status FROM subscriptions WHERE id = $1', [subscriptionId]))[0]?.status ===
        'canceled',
    );
  });

  it('bills a late event posted to ingest on a late_usage invoice within seconds (grace 0)', async () => {
    const res = await ingest(tenantId, [
      { id: 'late-1', time: start + 0.5 * DAY },
      { id: 'late-2', time: start + 0.6 * DAY },
    ]);
    expectResponseMatchesSpec('POST', '/api/usage/ingest', res);
    expect(res.body).toEqual({ accepted: 2, warnings: [] });
    const posted = Date.now();
    const invoices = await issuedCount(subscriptionId, 5);
    expect(Date.now() - posted).toBeLessThan(20_000);
    const late = invoices.find((i) => i.reason === 'late_usage')!;
    expect(adjustments(late)).toEqual([[2, '2.00', start]]);
  });

  it('invoice-now issues the late-usage invoice at once; twice at once gives one invoice; then nothing to invoice (409)', async () => {
    // Written without ingest, so no signal: only invoice-now (or a later check) bills it.
    await h.sendEvents(tenantId, [{ id: 'quiet-1', type: 'view', time: new Date(start + 1.5 * DAY) }]);
    const res = await call('post', '/api/invoices/generate', api.tokens.finance, { subscriptionId });
    expectResponseMatchesSpec('POST', '/api/invoices/generate', res);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ reason: 'late_usage', total: '1.00', lines: [{ type: 'adjustment', quantity: '1' }] });

    await h.sendEvents(tenantId, [
      { id: 'quiet-2', type: 'view', time: new Date(start + 2.5 * DAY) },
      { id: 'quiet-3', type: 'view', time: new Date(start + 2.5 * DAY) },
    ]);
    const twice = await Promise.all([0, 1].map(() => call('post', '/api/invoices/generate', api.tokens.finance, { subscriptionId })));
    for (const r of twice) expectResponseMatchesSpec('POST', '/api/invoices/generate', r);
    expect(twice.map((r) => r.status).sort()).toEqual([201, 409]);
    const issued = twice.find((r) => r.status === 201)!;
    expect(issued.body).toMatchObject({ reason: 'late_usage', total: '2.00' });
    const all = await h.invoicesOf(subscriptionId);
    expect(all.filter((i) => i.reason === 'late_usage').map((i) => cents(i.total_minor))).toEqual(['2.00', '1.00', '2.00']);

    const nothing = await call('post', '/api/invoices/generate', api.tokens.finance, { subscriptionId });
    expect([nothing.status, nothing.body.detail]).toEqual([409, expect.stringMatching(/nothing to invoice/)]);
    expect((await h.invoicesOf(subscriptionId)).length).toBe(all.length);
  });
});

describe("ingest's late_beyond_horizon warning", () => {
  it('names each event whose period ended more than lateUsageDays ago for every subscription that could bill it; such an event is not billed', async () => {
    const tenantId = (await h.createTenant({ name: 'Beyond the horizon' })).id;
    const planId = (await call('post', '/api/pricing/plans', api.tokens.admin, plan('late-beyond', { lateUsageDays: 1 }))).body.id;
    const start = (await env.currentTimeMs()) - 5 * DAY;
    const subscriptionId = (
      await call('post', '/api/subscriptions', api.tokens.admin, { tenantId, planId, startAt: new Date(start).toISOString() })
    ).body.id;
    await issuedCount(subscriptionId, 5);

    // Day 1 ended 4 days ago (beyond 1 day); day 5 ended a moment ago (within); another type no plan meters.
    const res = await ingest(tenantId, [
      { id: 'old', time: start + 0.5 * DAY },
      { id: 'recent', time: start + 4.5 * DAY },
      { id: 'old-other', time: start + 0.5 * DAY, type: 'unmetered_kind' },
      { id: 'old-again', time: start + 1.5 * DAY },
    ]);
    expectResponseMatchesSpec('POST', '/api/usage/ingest', res);
    expect(res.status).toBe(202);
    expect(
      res.body.warnings.filter((w: { type: string }) => w.type === 'late_beyond_horizon').map((w: { index: number }) => w.index),
    ).toEqual([0, 3]);
    expect(res.body.warnings.find((w: { index?: number }) => w.index === 0).message).toMatch(/events\[0\].*lateUsageDays/);

    // The same instant for a tenant without subscriptions: nothing could ever bill it, so it is not
    // "late"; the other tenant's horizon does not count for it.
    const lone = (await h.createTenant({ name: 'No subscriptions' })).id;
    expect((await ingest(lone, [{ id: 'old', time: start + 0.5 * DAY }])).body).toEqual({ accepted: 1, warnings: [] });

    // The next invoice bills the recent one as an adjustment, and nothing of the old ones.
    const now = await call('post', '/api/invoices/generate', api.tokens.finance, { subscriptionId });
    expect(now.status).toBe(201);
    const invoice = (await h.invoicesOf(subscriptionId)).find((i) => i.id === now.body.id)!;
    expect(adjustments(invoice)).toEqual([[1, '1.00', start + 4 * DAY]]);
  });
});
