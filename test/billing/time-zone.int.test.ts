import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestApi } from '../harness/api.ts';
import { expectResponseMatchesSpec } from '../harness/openapi-responses.ts';
import { pdfText } from '../harness/pdf-text.ts';
import { startBillingApi, stopBillingApi, type BillingHarness } from '../harness/billing.ts';
import { until } from '../harness/until.ts';

// Billing in the customer's time zone, end to end (issue 18 §2): a tenant in New York, a
// subscription back-dated to the local date 2026-10-01, invoiced by the real workflow on the
// time-skipping server. The dates are fixed: the test needs the server's clock (the real
// one) past 2026-12-01T05:00Z and a start no more than 400 days back, i.e. before 2027-11-05.

let env: TestWorkflowEnvironment;
let h: BillingHarness;
let api: TestApi;
let planId: string;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  ({ env, h, api } = await startBillingApi([{ code: 'calls', name: 'API calls', eventType: 'call', aggregation: 'count' }]));
  planId = (
    await api.request
      .post('/api/pricing/plans')
      .set(auth(api.tokens.admin))
      .send({
        code: 'monthly',
        name: 'Monthly',
        currency: 'USD',
        interval: 'month',
        baseFee: '30',
        gracePeriodSeconds: 0,
        charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.25' }],
      })
  ).body.id;
});
afterAll(async () => stopBillingApi({ env, h }));

const createTenant = (body: object) => api.request.post('/api/tenants').set(auth(api.tokens.admin)).send(body);

describe("a tenant's time zone", () => {
  it.each([['Mars/Olympus'], ['+05:00'], ['UTC+1'], ['']])('%j is 400 naming timezone, on create and on change', async (timezone) => {
    const created = await createTenant({ name: 'Bad zone', timezone });
    expect(created.status).toBe(400);
    expect(created.headers['content-type']).toContain('application/problem+json');
    expect(created.body.errors.map((e: { field: string }) => e.field)).toContain('timezone');
    const changed = await api.request.patch(`/api/tenants/${api.tenants.a.id}`).set(auth(api.tokens.admin)).send({ timezone });
    expect(changed.status).toBe(400);
    expect(changed.body.errors.map((e: { field: string }) => e.field)).toContain('timezone');
  });

  it('defaults to UTC and is stored as the tz database spells it', async () => {
    expect((await createTenant({ name: 'Plain' })).body.timezone).toBe('UTC');
    const res = await createTenant({ name: 'Lower case', timezone: 'america/new_york' });
    expect(res.status).toBe(201);
    expect(res.body.timezone).toBe('America/New_York');
  });

  it('refuses a startAt that is neither an instant nor a real date (400 naming startAt)', async () => {
    for (const startAt of ['2026-02-30', '2026-10-01T00:00', '01/10/2026']) {
      const res = await api.request
        .post('/api/subscriptions')
        .set(auth(api.tokens.admin))
        .send({ tenantId: api.tenants.b.id, planId, startAt });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('startAt');
    }
  });
});

describe('a New York subscription started on the local date 2026-10-01', () => {
  it('is invoiced for October and November at New York midnight, and its PDF shows the local dates', async () => {
    const tenant = (await createTenant({ name: 'Gotham', timezone: 'America/New_York' })).body;
    const res = await api.request
      .post('/api/subscriptions')
      .set(auth(api.tokens.admin))
      .send({ tenantId: tenant.id, planId, startAt: '2026-10-01' });
    expectResponseMatchesSpec('POST', '/api/subscriptions', res);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      startAt: '2026-10-01T04:00:00.000Z',
      timezone: 'America/New_York',
      currentPeriod: { start: '2026-10-01T04:00:00.000Z', end: '2026-11-01T04:00:00.000Z' },
    });
    // The last instant of October in New York (EDT) and the first of November belong to different periods.
    await h.sendEvents(tenant.id, [
      { id: 'oct-last', type: 'call', time: '2026-11-01T03:59:59.999Z' },
      { id: 'nov-first', type: 'call', time: '2026-11-01T04:00:00.000Z' },
      { id: 'nov-last', type: 'call', time: '2026-12-01T04:59:59.999Z' },
    ]);

    const invoices = await until(
      'October and November are invoiced and final',
      async () => {
        const list = await h.invoicesOf(res.body.id);
        return list.length >= 2 && list.slice(0, 2).every((i) => i.status !== 'draft') && list;
      },
      120_000,
      250,
    );
    const [october, november] = invoices;
    expect([october!.period_start.toISOString(), october!.period_end.toISOString()]).toEqual([
      '2026-10-01T04:00:00.000Z',
      '2026-11-01T04:00:00.000Z',
    ]);
    expect([november!.period_start.toISOString(), november!.period_end.toISOString()]).toEqual([
      '2026-11-01T04:00:00.000Z',
      '2026-12-01T05:00:00.000Z',
    ]);
    const usage = (i: typeof october) => i!.lines.filter((l) => l.type === 'usage').map((l) => l.quantity);
    expect(usage(october).map(Number)).toEqual([1]);
    expect(usage(november).map(Number)).toEqual([2]);

    // The API keeps UTC instants.
    const shown = await api.request.get(`/api/invoices/${october!.id}`).set(auth(api.tokens.admin));
    expect(shown.status).toBe(200);
    expect([shown.body.periodStart, shown.body.periodEnd]).toEqual(['2026-10-01T04:00:00.000Z', '2026-11-01T04:00:00.000Z']);

    // The PDF prints New York days: November ends (exclusive) on 1 December there, at 05:00 UTC.
    const pdf = async (id: string) =>
      pdfText((await api.request.get(`/api/invoices/${id}/pdf`).set(auth(api.tokens.admin)).buffer(true)).body).join('\n');
    expect(await pdf(october!.id)).toContain('Service period: 2026-10-01 to 2026-11-01 (end exclusive, America/New_York)');
    expect(await pdf(november!.id)).toContain('Service period: 2026-11-01 to 2026-12-01 (end exclusive, America/New_York)');
  });

  it('takes an instant as startAt too, and keeps its New York time of day across the end of DST', async () => {
    const tenant = (await createTenant({ name: 'Afternoon', timezone: 'America/New_York' })).body;
    const res = await api.request
      .post('/api/subscriptions')
      .set(auth(api.tokens.admin))
      .send({ tenantId: tenant.id, planId, startAt: '2026-10-15T17:30:00Z' });
    expect(res.status).toBe(201);
    // 13:30 EDT on 15 October, then 13:30 EST on 15 November.
    expect(res.body.currentPeriod).toEqual({ start: '2026-10-15T17:30:00.000Z', end: '2026-11-15T18:30:00.000Z' });
  });

  it('keeps its zone when the tenant later changes its own: the periods do not move', async () => {
    const tenant = (await createTenant({ name: 'Mover', timezone: 'America/New_York' })).body;
    const sub = (
      await api.request.post('/api/subscriptions').set(auth(api.tokens.admin)).send({ tenantId: tenant.id, planId, startAt: '2026-10-01' })
    ).body;
    const changed = await api.request.patch(`/api/tenants/${tenant.id}`).set(auth(api.tokens.admin)).send({ timezone: 'Asia/Tokyo' });
    expect(changed.body.timezone).toBe('Asia/Tokyo');
    const status = await until(
      'the workflow has rolled into December',
      async () => {
        const view = (await api.request.get(`/api/subscriptions/${sub.id}`).set(auth(api.tokens.admin))).body;
        return view.source === 'workflow' && view.currentPeriod?.start >= '2026-12-01' && view;
      },
      60_000,
      250,
    );
    expect(status).toMatchObject({ timezone: 'America/New_York', currentPeriod: { start: '2026-12-01T05:00:00.000Z' } });
  });
});
