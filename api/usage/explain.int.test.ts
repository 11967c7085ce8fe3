import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestApi } from '../../test/harness/api.ts';
import { expectResponseMatchesSpec } from '../../test/harness/openapi-responses.ts';
import { until } from '../../test/harness/until.ts';
import { startBillingApi, stopBillingApi, type BillingHarness, type InvoiceWithLines } from '../../test/harness/billing.ts';

// GET /api/usage/events/explain over the real app, real ingest, and a subscription billed by the
// real worker on the time-skipping server: a billed event, a redelivery with another time, an
// unmetered type, a filtered event, a non-numeric value, an event before the subscription, one
// that arrived after its period's invoice, and the other tenant.

let env: TestWorkflowEnvironment;
let h: BillingHarness;
let api: TestApi;
let start: number;
let subscriptionId: string;
let invoices: InvoiceWithLines[];
const DAY = 86_400_000;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const iso = (ms: number) => new Date(ms).toISOString();
type Sent = { id: string; type: string; time: number; source?: string; data?: object };

async function ingest(events: Sent[]) {
  const res = await api.request
    .post('/api/usage/ingest')
    .set('X-API-Key', api.apiKeys.a)
    .send({
      events: events.map((e) => ({
        id: e.id,
        type: e.type,
        time: iso(e.time),
        ...(e.source ? { source: e.source } : {}),
        data: e.data ?? {},
      })),
    });
  expect(res.status).toBe(202);
  return res;
}
const explain = (query: Record<string, string>, token = api.tokens.admin) =>
  api.request
    .get('/api/usage/events/explain')
    .query({ tenantId: api.tenants.a.id, ...query })
    .set(auth(token));
const ok = async (query: Record<string, string>) => {
  const res = await explain(query);
  expectResponseMatchesSpec('GET', '/api/usage/events/explain', res);
  expect(res.status).toBe(200);
  return res.body;
};
const LONG_ID = 'i'.repeat(256);
const LONG_SOURCE = 's'.repeat(1024);

beforeAll(async () => {
  ({ env, h, api } = await startBillingApi([
    { code: 'calls', name: 'Calls', eventType: 'call', aggregation: 'count' },
    { code: 'tokens', name: 'Tokens', eventType: 'llm', aggregation: 'sum', valueProperty: 'usage.tokens', filters: { model: ['gpt'] } },
  ]));
  start = (await env.currentTimeMs()) - 3 * DAY;
  // Before any invoice exists.
  await ingest([
    { id: 'billed', type: 'call', time: start + 0.5 * DAY },
    { id: 'dup', type: 'call', time: start + 0.6 * DAY, data: { n: 1 } },
    { id: 'nometer', type: 'page_view', time: start + 0.5 * DAY },
    { id: 'filtered', type: 'llm', time: start + 0.5 * DAY, data: { model: 'claude', usage: { tokens: 5 } } },
    { id: 'tokens', type: 'llm', time: start + 0.5 * DAY, data: { model: 'gpt', usage: { tokens: '12.000000000001' } } },
    { id: 'score', type: 'score', time: start + 0.5 * DAY, data: { points: 'lots' } },
    { id: 'early', type: 'call', time: start - 0.5 * DAY },
    { id: 'shared', type: 'call', time: start + 0.7 * DAY, source: 'svc-a' },
    { id: 'shared', type: 'page_view', time: start + 0.7 * DAY, source: 'svc-b' },
    { id: LONG_ID, type: 'call', time: start + 0.7 * DAY, source: LONG_SOURCE },
  ]);
  // The redelivery, in another request, claims another day and other data.
  await ingest([{ id: 'dup', type: 'call', time: start + 1.5 * DAY, data: { n: 2 } }]);
  // A meter defined after its events were accepted: ingest could not refuse the text value.
  expect(
    (
      await api.request
        .post('/api/meters')
        .set(auth(api.tokens.admin))
        .send({ code: 'points', name: 'Points', eventType: 'score', aggregation: 'sum', valueProperty: 'points' })
    ).status,
  ).toBe(201);

  const planId = (
    await api.request
      .post('/api/pricing/plans')
      .set(auth(api.tokens.admin))
      .send({
        code: 'explain',
        name: 'Explain',
        currency: 'USD',
        interval: 'day',
        baseFee: '0',
        gracePeriodSeconds: 0,
        charges: [
          { meter: 'calls', model: 'per_unit', unitPrice: '1' },
          { meter: 'tokens', model: 'per_unit', unitPrice: '0.01' },
        ],
      })
  ).body.id;
  const sub = await api.request
    .post('/api/subscriptions')
    .set(auth(api.tokens.admin))
    .send({ tenantId: api.tenants.a.id, planId, startAt: iso(start) });
  expect(sub.status).toBe(201);
  subscriptionId = sub.body.id;
  invoices = await until(
    'three issued invoices',
    async () => {
      const all = await h.invoicesOf(subscriptionId);
      return all.length === 3 && all.every((i) => i.status !== 'draft') && all;
    },
    60_000,
  );
  // After the first day's invoice was written.
  await ingest([{ id: 'late', type: 'call', time: start + 0.8 * DAY }]);
});
afterAll(async () => stopBillingApi({ env, h }));

const lineOf = (invoice: InvoiceWithLines, meter: string) => invoice.lines.find((l) => l.meter === meter)!;

describe('GET /api/usage/events/explain', () => {
  it('names the period and the invoice line of a billed event, with its value', async () => {
    const body = await ok({ id: 'billed' });
    const first = invoices[0]!;
    expect(first.period_start.getTime()).toBe(start);
    expect(body).toMatchObject({ tenantId: api.tenants.a.id, id: 'billed', reasons: [] });
    expect(body.events).toHaveLength(1);
    const [e] = body.events;
    expect(e.winner).toMatchObject({ time: iso(start + 0.5 * DAY), source: 'api', type: 'call' });
    expect(e.deliveries).toHaveLength(1);
    expect(e.deliveries[0]).toMatchObject({ won: true, reason: null, duplicateOf: null, data: {} });
    expect(e.deliveries[0].acceptedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(e.meters).toEqual([
      {
        meter: 'calls',
        aggregation: 'count',
        counts: true,
        value: '1',
        status: 'billed',
        reason: null,
        detail: expect.stringContaining(first.number!),
        subscriptions: [
          {
            subscriptionId,
            status: 'billed',
            reason: null,
            detail: null,
            period: { start: iso(start), end: iso(start + DAY) },
            invoice: { id: first.id, number: first.number, status: first.status, reason: 'period_end' },
            line: {
              id: lineOf(first, 'calls').id,
              position: lineOf(first, 'calls').position,
              type: 'usage',
              from: iso(start),
              to: iso(start + DAY),
              ratedAt: first.created_at.toISOString(),
            },
          },
        ],
      },
    ]);
  });

  it('gives a sum meter its exact decimal value', async () => {
    const [e] = (await ok({ id: 'tokens' })).events;
    expect(e.meters).toMatchObject([
      { meter: 'tokens', value: '12.000000000001', status: 'billed', subscriptions: [{ line: { id: lineOf(invoices[0]!, 'tokens').id } }] },
    ]);
  });

  it('shows a redelivery with another time as duplicate_of the winner, which stays in its period', async () => {
    const body = await ok({ id: 'dup' });
    expect(body.reasons).toEqual(['duplicate_of']);
    const [e] = body.events;
    expect(
      e.deliveries.map((d: { won: boolean; time: string; data: unknown; reason: string | null }) => [d.won, d.time, d.data, d.reason]),
    ).toEqual([
      [true, iso(start + 0.6 * DAY), { n: 1 }, null],
      [false, iso(start + 1.5 * DAY), { n: 2 }, 'duplicate_of'],
    ]);
    expect(e.deliveries[1].duplicateOf).toEqual({ source: 'api', id: 'dup', acceptedAt: e.deliveries[0].acceptedAt });
    expect(e.deliveries[1].acceptedAt > e.deliveries[0].acceptedAt).toBe(true);
    expect(e.winner.time).toBe(iso(start + 0.6 * DAY));
    // Billed once, on the first day's line; the second day's invoice did not count it.
    expect(e.meters[0].subscriptions).toMatchObject([
      { status: 'billed', invoice: { id: invoices[0]!.id }, period: { start: iso(start) } },
    ]);
    expect(Number(lineOf(invoices[1]!, 'calls').quantity)).toBe(0);
  });

  it('gives no_meter for a type no meter reads', async () => {
    const body = await ok({ id: 'nometer' });
    expect(body.reasons).toEqual(['no_meter']);
    expect(body.events[0]).toMatchObject({ reason: 'no_meter', meters: [] });
  });

  it('gives filtered_out, naming the filter', async () => {
    const [e] = (await ok({ id: 'filtered' })).events;
    expect(e.meters).toMatchObject([
      { meter: 'tokens', counts: false, value: null, status: 'not_billed', reason: 'filtered_out', subscriptions: [] },
    ]);
    expect(e.meters[0].detail).toContain('model is "claude"');
  });

  it('gives value_not_numeric for a value that is text', async () => {
    const [e] = (await ok({ id: 'score' })).events;
    expect(e.meters).toMatchObject([{ meter: 'points', counts: false, status: 'not_billed', reason: 'value_not_numeric' }]);
    expect(e.deliveries[0].data).toEqual({ points: 'lots' });
  });

  it('gives outside_any_subscription for an event before the subscription started', async () => {
    const [e] = (await ok({ id: 'early' })).events;
    expect(e.meters).toMatchObject([
      { meter: 'calls', counts: true, value: '1', status: 'not_billed', reason: 'outside_any_subscription', subscriptions: [] },
    ]);
  });

  it('gives after_final_invoice for an event that arrived after its period was invoiced, naming that line', async () => {
    const [e] = (await ok({ id: 'late' })).events;
    const first = invoices[0]!;
    expect(e.meters).toMatchObject([
      {
        meter: 'calls',
        counts: true,
        status: 'not_billed',
        reason: 'after_final_invoice',
        subscriptions: [
          {
            subscriptionId,
            status: 'not_billed',
            reason: 'after_final_invoice',
            period: { start: iso(start) },
            invoice: { id: first.id },
            line: { id: lineOf(first, 'calls').id },
          },
        ],
      },
    ]);
    expect(e.deliveries[0].acceptedAt > first.created_at.toISOString()).toBe(true);
  });

  it('answers every event sharing an id (one per source) without source, and one with it', async () => {
    const all = await ok({ id: 'shared' });
    expect(all.events.map((e: { source: string; reason: string | null }) => [e.source, e.reason])).toEqual([
      ['svc-a', null],
      ['svc-b', 'no_meter'],
    ]);
    const one = await ok({ id: 'shared', source: 'svc-b' });
    expect(one.events.map((e: { source: string }) => e.source)).toEqual(['svc-b']);
    expect((await explain({ id: 'shared', source: 'svc-c' })).status).toBe(404);
  });

  it('accepts the longest id and source ingest allows, and refuses one character more (400 naming the field)', async () => {
    const body = await ok({ id: LONG_ID, source: LONG_SOURCE });
    expect(body.events).toHaveLength(1);
    for (const [query, field] of [
      [{ id: `${LONG_ID}i` }, 'query.id'],
      [{ id: 'billed', source: `${LONG_SOURCE}s` }, 'query.source'],
      [{ id: '' }, 'query.id'],
      [{ id: 'billed', source: '' }, 'query.source'],
      [{ id: 'billed', tenantId: 'not-a-uuid' }, 'query.tenantId'],
      [{ id: 'billed', extra: '1' }, 'query.extra'],
    ] as const) {
      const res = await explain(query);
      expectResponseMatchesSpec('GET', '/api/usage/events/explain', res);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const missing = await api.request.get('/api/usage/events/explain').query({ tenantId: api.tenants.a.id }).set(auth(api.tokens.admin));
    expect([missing.status, missing.body.errors[0].field]).toEqual([400, 'query.id']);
    const noTenant = await api.request.get('/api/usage/events/explain').query({ id: 'billed' }).set(auth(api.tokens.admin));
    expect([noTenant.status, noTenant.body.errors[0].field]).toEqual([400, 'tenantId']);
  });

  it('is 404 for an id with no delivery and for a tenant that does not exist', async () => {
    const none = await explain({ id: 'never-sent' });
    expectResponseMatchesSpec('GET', '/api/usage/events/explain', none);
    expect(none.status).toBe(404);
    expect((await explain({ id: 'billed', tenantId: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
  });

  it("lets finance, the tenant's customer and its API keys read it; a customer of another tenant gets 404", async () => {
    for (const token of [api.tokens.finance, api.tokens.customerA]) expect((await explain({ id: 'billed' }, token)).status).toBe(200);
    const own = await api.request.get('/api/usage/events/explain').query({ id: 'billed' }).set(auth(api.tokens.customerA));
    expect(own.body.events[0].meters[0].status).toBe('billed');
    for (const key of [api.readKeys.a, api.apiKeys.a]) {
      expect((await api.request.get('/api/usage/events/explain').query({ id: 'billed' }).set('X-API-Key', key)).status).toBe(200);
    }
    const other = await explain({ id: 'billed' }, api.tokens.customerB);
    expectResponseMatchesSpec('GET', '/api/usage/events/explain', other);
    expect(other.status).toBe(404);
    // Its own tenant has no such event either; nor does tenant B's key see A's.
    expect((await api.request.get('/api/usage/events/explain').query({ id: 'billed' }).set(auth(api.tokens.customerB))).status).toBe(404);
    expect((await api.request.get('/api/usage/events/explain').query({ id: 'billed' }).set('X-API-Key', api.readKeys.b)).status).toBe(404);
    expect((await api.request.get('/api/usage/events/explain').query({ id: 'billed' })).status).toBe(401);
  });

  it('answers two requests at once alike', async () => {
    const [a, b] = await Promise.all([explain({ id: 'dup' }), explain({ id: 'dup' })]);
    expect(a.status).toBe(200);
    expect(a.body).toEqual(b.body);
  });
});
