import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestApi } from '../harness/api.ts';
import { expectResponseMatchesSpec } from '../harness/openapi-responses.ts';
import { startBillingApi, stopBillingApi, type BillingHarness } from '../harness/billing.ts';

// The change-plan preview over the real app, a billing worker and the time-skipping server: who
// may ask, what it refuses (the same as change-plan), and its amounts at the largest base fee.

let env: TestWorkflowEnvironment;
let h: BillingHarness;
let api: TestApi;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const DAY = 86_400_000;
// The largest base fee the plan schema allows: 30 integer digits and 12 fractional ones.
const LARGEST = '999999999999999999999999999999.999999999999';

const createPlan = async (code: string, body: Record<string, unknown> = {}) => {
  const res = await api.request
    .post('/api/pricing/plans')
    .set(auth(api.tokens.admin))
    .send({ code, name: code, currency: 'USD', interval: 'month', baseFee: LARGEST, charges: [], ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
};
const subscribe = async (tenantId: string, planId: string) => {
  const res = await api.request
    .post('/api/subscriptions')
    .set(auth(api.tokens.admin))
    .send({ tenantId, planId, startAt: new Date(Date.now() - 5 * DAY).toISOString() });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
};
const preview = (id: string, token: string, body: unknown) =>
  api.request
    .post(`/api/subscriptions/${id}/change-plan/preview`)
    .set(auth(token))
    .send(body as object);
const checked = async (id: string, token: string, body: unknown) => {
  const res = await preview(id, token, body);
  expectResponseMatchesSpec('POST', `/api/subscriptions/${id}/change-plan/preview`, res);
  return res;
};

/** round(fee × part / whole) to cents, half-up, in bigint arithmetic of its own. */
function share(fee: string, partMs: number, wholeMs: number): string {
  const [whole, fraction = ''] = fee.split('.');
  const scaled = BigInt(whole + fraction.padEnd(12, '0'));
  const num = scaled * BigInt(partMs) * 100n;
  const den = BigInt(wholeMs) * 10n ** 12n;
  const cents = num / den + (2n * (num % den) >= den ? 1n : 0n);
  const text = cents.toString().padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}

let starter: { id: string };
let pro: { id: string };
let subscriptionId: string;

beforeAll(async () => {
  ({ env, h, api } = await startBillingApi([{ code: 'calls', name: 'API calls', eventType: 'call', aggregation: 'count' }]));
  starter = await createPlan(`starter-${Date.now()}`);
  pro = await createPlan(`pro-${Date.now()}`, { charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.01' }] });
  subscriptionId = (await subscribe(api.tenants.a.id, starter.id)).id;
});
afterAll(async () => stopBillingApi({ env, h }));

describe('POST /api/subscriptions/:id/change-plan/preview', () => {
  it('splits the current period at an immediate change, exactly, at the largest base fee', async () => {
    const res = await checked(subscriptionId, api.tokens.admin, { planId: pro.id, effective: 'immediate' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const { period, effectiveAt, parts } = res.body;
    const [start, end, at] = [Date.parse(period.start), Date.parse(period.end), Date.parse(effectiveAt)];
    expect(at).toBeGreaterThan(start);
    expect(
      parts.map((p: { plan: { planId: string }; window: { from: string; to: string } }) => [p.plan.planId, p.window.from, p.window.to]),
    ).toEqual([
      [starter.id, period.start, effectiveAt],
      [pro.id, effectiveAt, period.end],
    ]);
    expect(parts[0].fixed).toEqual([
      expect.objectContaining({ type: 'proration', meter: null, amount: share(LARGEST, at - start, end - start) }),
    ]);
    expect(parts[1].fixed).toEqual([
      expect.objectContaining({ type: 'proration', meter: null, amount: share(LARGEST, end - at, end - start) }),
    ]);
    expect(parts[1].fixedTotal).toBe(parts[1].fixed[0].amount);
    expect(res.body).toMatchObject({
      subscriptionId,
      tenantId: api.tenants.a.id,
      currency: 'USD',
      effective: 'immediate',
      inTrial: false,
      next: null,
    });
  });

  it('keeps the period whole for a period-end change, its base fee in full, and names the plan that follows', async () => {
    const res = await checked(subscriptionId, api.tokens.finance, { planId: pro.id, effective: 'period_end' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.effectiveAt).toBe(res.body.period.end);
    expect(res.body.parts).toHaveLength(1);
    expect(res.body.parts[0].fixed).toEqual([expect.objectContaining({ type: 'base_fee', amount: '1000000000000000000000000000000.00' })]);
    expect(res.body.next).toEqual({
      from: res.body.period.end,
      plan: { planId: pro.id, version: 1, code: expect.any(String), name: expect.any(String), baseFee: LARGEST },
    });
  });

  it('changes nothing: the target version is not frozen and the subscription keeps its plan', async () => {
    expect((await api.request.get(`/api/pricing/plans/${pro.id}`).set(auth(api.tokens.admin))).body.inUse).toBe(false);
    const sub = await api.request.get(`/api/subscriptions/${subscriptionId}`).set(auth(api.tokens.admin));
    expect(sub.body).toMatchObject({ planId: starter.id, pendingChange: null });
  });

  it("is refused to customers, their own tenant's included, and to API keys (403)", async () => {
    for (const token of [api.tokens.customerA, api.tokens.customerB]) {
      const res = await checked(subscriptionId, token, { planId: pro.id, effective: 'immediate' });
      expect(res.status).toBe(403);
    }
    const key = await api.request
      .post(`/api/subscriptions/${subscriptionId}/change-plan/preview`)
      .set('X-API-Key', api.apiKeys.a)
      .send({ planId: pro.id, effective: 'immediate' });
    expect(key.status).toBe(403);
  });

  it('answers 404 for an unknown subscription or plan', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const noSub = await checked(unknown, api.tokens.admin, { planId: pro.id, effective: 'immediate' });
    expect([noSub.status, noSub.body.detail]).toEqual([404, 'subscription not found']);
    const noPlan = await checked(subscriptionId, api.tokens.admin, { planId: unknown, effective: 'immediate' });
    expect([noPlan.status, noPlan.body.detail]).toEqual([404, 'plan not found']);
  });

  it('answers 400 naming the field for a malformed body', async () => {
    const cases: [unknown, string][] = [
      [{ planId: pro.id, effective: 'tomorrow' }, 'effective'],
      [{ planId: 'pro', effective: 'immediate' }, 'planId'],
      [{ effective: 'immediate' }, 'planId'],
      [{ planId: pro.id, effective: 'immediate', allowSharedMeters: 'yes' }, 'allowSharedMeters'],
    ];
    for (const [body, field] of cases) {
      const res = await checked(subscriptionId, api.tokens.admin, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });

  it('refuses what change-plan refuses, with the same detail: another currency, the same version', async () => {
    const eur = await createPlan(`eur-${Date.now()}`, { currency: 'EUR', baseFee: '1' });
    for (const body of [
      { planId: eur.id, effective: 'period_end' },
      { planId: starter.id, effective: 'immediate' },
    ]) {
      const previewed = await checked(subscriptionId, api.tokens.admin, body);
      const changed = await api.request.post(`/api/subscriptions/${subscriptionId}/change-plan`).set(auth(api.tokens.admin)).send(body);
      expect(changed.status).toBe(409);
      expect([previewed.status, previewed.body.detail]).toEqual([409, changed.body.detail]);
    }
  });

  it('refuses (409) a subscription that has ended, as change-plan does', async () => {
    const other = await createPlan(`short-${Date.now()}`, { baseFee: '10' });
    const ending = (await subscribe(api.tenants.b.id, other.id)).id;
    expect(
      (await api.request.post(`/api/subscriptions/${ending}/cancel`).set(auth(api.tokens.admin)).send({ at: 'immediate' })).status,
    ).toBe(200);
    const res = await checked(ending, api.tokens.admin, { planId: starter.id, effective: 'period_end' });
    expect([res.status, res.body.detail]).toEqual([409, 'the subscription has ended']);
  });
});
