import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestApi } from '../harness/api.ts';
import { expectResponseMatchesSpec } from '../harness/openapi-responses.ts';
import { until } from '../harness/until.ts';
import { startBillingApi, stopBillingApi, type BillingHarness } from '../harness/billing.ts';
import { subscriptionWorkflowId } from '../../workflows/contract.ts';

// Prices nobody agreed to, and no double billing across subscriptions: a plan version is frozen
// in the transaction that subscribes to it (or schedules a change to it), and a tenant's live
// subscriptions never bill the same meter twice unless asked to (allowSharedMeters).
// Real PostgreSQL, the billing worker on the time-skipping server, the API over HTTP.

let env: TestWorkflowEnvironment;
let h: BillingHarness;
let api: TestApi;
const admin = () => ({ Authorization: `Bearer ${api.tokens.admin}` });

beforeAll(async () => {
  ({ env, h, api } = await startBillingApi());
});
afterAll(async () => stopBillingApi({ env, h }));

const planBody = (code: string, baseFee: string, meters: string[], name = code, trialDays = 0) => ({
  code,
  name,
  currency: 'USD',
  interval: 'month',
  baseFee,
  trialDays,
  charges: meters.map((meter) => ({ meter, model: 'per_unit', unitPrice: '0.5' })),
});
async function createPlan(code: string, baseFee: string, meters: string[]): Promise<{ id: string }> {
  const res = await api.request
    .post('/api/pricing/plans')
    .set(admin())
    .send(planBody(code, baseFee, meters));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}
const subscribe = (tenantId: string, planId: string, extra: object = {}) =>
  api.request
    .post('/api/subscriptions')
    .set(admin())
    .send({ tenantId, planId, ...extra });
const changePlan = (id: string, body: object) => api.request.post(`/api/subscriptions/${id}/change-plan`).set(admin()).send(body);
const newTenant = (name: string) => h.createTenant({ name: `${name}-${randomUUID().slice(0, 6)}` });
const subscriptionsOf = (tenantId: string) =>
  h.ownerQuery<{ id: string; plan_id: string }>("SELECT id, plan_id FROM subscriptions WHERE tenant_id = $1 AND status <> 'canceled'", [
    tenantId,
  ]);
const storedVersion = async (planId: string, version: number) =>
  (
    await h.ownerQuery<{ base_fee: string; name: string; trial_days: number; charges: unknown; in_use_since: Date | null }>(
      'SELECT base_fee, name, trial_days, charges, in_use_since FROM plan_versions WHERE plan_id = $1 AND version = $2',
      [planId, version],
    )
  )[0]!;
/**
 * The plan terms the subscription's workflow was started with (its first history event): the
 * version, and the terms it schedules by (name, trial); prices are read from the version when billing.
 */
async function startedTerms(subscriptionId: string): Promise<{ version: number; name: string; trialDays: number }> {
  const history = await env.client.workflow.getHandle(subscriptionWorkflowId(subscriptionId)).fetchHistory();
  const payload = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  return (JSON.parse(Buffer.from(payload.data!).toString('utf8')) as { plan: { version: number; name: string; trialDays: number } }).plan;
}

describe('two live subscriptions of a tenant that bill the same meter', () => {
  it('the second is 409 naming the shared meters and the subscription, nothing written; with allowSharedMeters it is 201', async () => {
    const tenant = await newTenant('shared');
    const base = await createPlan(`base-${randomUUID().slice(0, 6)}`, '10', ['calls', 'storage']);
    const addon = await createPlan(`addon-${randomUUID().slice(0, 6)}`, '5', ['storage', 'calls', 'seats']);
    const first = await subscribe(tenant.id, base.id);
    expect(first.status).toBe(201);

    const refused = await subscribe(tenant.id, addon.id);
    expectResponseMatchesSpec('POST', '/api/subscriptions', refused);
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body.errors[0].field).toBe('planId');
    expect(refused.body.detail).toContain('calls, storage');
    expect(refused.body.detail).not.toContain('seats');
    expect(refused.body.detail).toContain(first.body.id);
    expect((await subscriptionsOf(tenant.id)).map((s) => s.plan_id)).toEqual([base.id]);
    // Refused, so the add-on's version was not frozen either: it can still be edited in place.
    expect((await storedVersion(addon.id, 1)).in_use_since).toBeNull();

    // Another tenant is not affected by this tenant's subscriptions.
    expect((await subscribe((await newTenant('other')).id, addon.id)).status).toBe(201);

    const allowed = await subscribe(tenant.id, addon.id, { allowSharedMeters: true });
    expectResponseMatchesSpec('POST', '/api/subscriptions', allowed);
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(201);
    expect((await subscriptionsOf(tenant.id)).length).toBe(2);
  });

  it('allowSharedMeters must be a boolean (400 naming it, nothing written)', async () => {
    const tenant = await newTenant('bad-flag');
    const plan = await createPlan(`flag-${randomUUID().slice(0, 6)}`, '10', ['calls']);
    for (const value of ['yes', 1, null]) {
      const res = await subscribe(tenant.id, plan.id, { allowSharedMeters: value });
      expectResponseMatchesSpec('POST', '/api/subscriptions', res);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.errors)).toContain('allowSharedMeters');
    }
    expect(await subscriptionsOf(tenant.id)).toEqual([]);
  });

  it('two creates at once on plans sharing a meter: exactly one succeeds (5 rounds)', async () => {
    for (let round = 0; round < 5; round += 1) {
      const tenant = await newTenant(`race-${round}`);
      const a = await createPlan(`ra-${round}-${randomUUID().slice(0, 6)}`, '10', ['calls']);
      const b = await createPlan(`rb-${round}-${randomUUID().slice(0, 6)}`, '10', ['calls', 'seats']);
      const results = await Promise.all([subscribe(tenant.id, a.id), subscribe(tenant.id, b.id)]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expect((await subscriptionsOf(tenant.id)).length).toBe(1);
    }
  });

  it('a change of plan to one that bills a meter another live subscription bills is 409, unless allowSharedMeters', async () => {
    const tenant = await newTenant('change');
    const usage = await createPlan(`usage-${randomUUID().slice(0, 6)}`, '10', ['calls']);
    const seats = await createPlan(`seats-${randomUUID().slice(0, 6)}`, '10', ['seats']);
    const both = await createPlan(`both-${randomUUID().slice(0, 6)}`, '20', ['seats', 'calls']);
    const first = await subscribe(tenant.id, usage.id);
    const second = await subscribe(tenant.id, seats.id);
    expect([first.status, second.status]).toEqual([201, 201]);

    for (const effective of ['immediate', 'period_end']) {
      const refused = await changePlan(second.body.id, { planId: both.id, effective });
      expectResponseMatchesSpec('POST', `/api/subscriptions/${second.body.id}/change-plan`, refused);
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toContain('meter calls');
      expect(refused.body.detail).toContain(first.body.id);
    }
    // Its own meter (seats) is no conflict: the subscription being changed is not compared with itself.
    expect((await storedVersion(both.id, 1)).in_use_since).toBeNull();
    const allowed = await changePlan(second.body.id, { planId: both.id, effective: 'immediate', allowSharedMeters: true });
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
    expect(allowed.body.planId).toBe(both.id);
  });
});

describe('a plan version is frozen by what uses it', () => {
  it('a PUT and a create at once on an unfrozen version: the subscription is on terms its version still has (8 rounds)', async () => {
    const outcomes = new Set<string>();
    for (let round = 0; round < 8; round += 1) {
      const tenant = await newTenant(`edit-${round}`);
      const code = `edit-${round}-${randomUUID().slice(0, 6)}`;
      const plan = await createPlan(code, '10', ['calls']);
      // The edit changes the price, the name and the trial.
      const [put, sub] = await Promise.all([
        api.request
          .put(`/api/pricing/plans/${plan.id}`)
          .set(admin())
          .send(planBody(code, '20', ['calls'], `${code} v2`, 14)),
        subscribe(tenant.id, plan.id),
      ]);
      expect([put.status, sub.status]).toEqual([200, 201]);
      const terms = await startedTerms(sub.body.id);
      const stored = await storedVersion(plan.id, sub.body.planVersion);
      // The version the workflow was started on still has the terms it was started with.
      expect(terms.version).toBe(sub.body.planVersion);
      expect([stored.name, stored.trial_days]).toEqual([terms.name, terms.trialDays]);
      expect(stored.in_use_since).not.toBeNull();
      if (put.body.version === 2) {
        // The edit came second: a new version; the subscription keeps version 1 as it was.
        expect([sub.body.planVersion, terms.name, new Decimal(stored.base_fee).toFixed(2)]).toEqual([1, code, '10.00']);
        outcomes.add('edit second');
      } else {
        // The edit came first, in place: the subscription is on the new terms.
        expect([put.body.version, sub.body.planVersion, terms.name, new Decimal(stored.base_fee).toFixed(2)]).toEqual([
          1,
          1,
          `${code} v2`,
          '20.00',
        ]);
        outcomes.add('edit first');
      }
    }
    // Which came first is up to the scheduler; either way the invariant above held.
    expect(outcomes.size).toBeGreaterThan(0);
  });

  it('many first subscriptions at once to a version nobody uses yet: every create succeeds, none deadlocks (3 rounds of 12)', async () => {
    for (let round = 0; round < 3; round += 1) {
      const plan = await createPlan(`fresh-${round}-${randomUUID().slice(0, 6)}`, '10', ['calls']);
      const tenants = await Promise.all(Array.from({ length: 12 }, (_, i) => newTenant(`fresh-${round}-${i}`)));
      const created = await Promise.all(tenants.map((t) => subscribe(t.id, plan.id)));
      expect(
        created.map((r) => r.status),
        JSON.stringify(created.find((r) => r.status !== 201)?.body),
      ).toEqual(tenants.map(() => 201));
      expect((await storedVersion(plan.id, 1)).in_use_since).not.toBeNull();
    }
  });

  it('a change at period end to version v freezes v: a PUT of that plan makes a new version and v stays as it was', async () => {
    const tenant = await newTenant('pending');
    const from = await createPlan(`from-${randomUUID().slice(0, 6)}`, '10', ['calls']);
    const code = `to-${randomUUID().slice(0, 6)}`;
    const to = await createPlan(code, '30', ['calls']);
    const sub = await subscribe(tenant.id, from.id);
    expect(sub.status).toBe(201);
    const before = await storedVersion(to.id, 1);
    expect(before.in_use_since).toBeNull();

    const changed = await changePlan(sub.body.id, { planId: to.id, effective: 'period_end' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect((await storedVersion(to.id, 1)).in_use_since).not.toBeNull();

    const put = await api.request
      .put(`/api/pricing/plans/${to.id}`)
      .set(admin())
      .send(planBody(code, '99', ['calls', 'seats']));
    expect(put.status).toBe(200);
    expect(put.body.version).toBe(2);
    const after = await storedVersion(to.id, 1);
    expect([after.base_fee, after.charges]).toEqual([before.base_fee, before.charges]);
  });

  it('a version a pending change references is immutable even if it was never marked in use', async () => {
    const tenant = await newTenant('referenced');
    const from = await createPlan(`rfrom-${randomUUID().slice(0, 6)}`, '10', ['calls']);
    const code = `rto-${randomUUID().slice(0, 6)}`;
    const to = await createPlan(code, '30', ['calls']);
    const sub = await subscribe(tenant.id, from.id);
    expect((await changePlan(sub.body.id, { planId: to.id, effective: 'period_end' })).status).toBe(200);
    // The read model records the pending change; then the freeze mark is taken away, as if it
    // had been lost: the reference alone must keep the version as it is.
    await until(
      'the pending change in the read model',
      async () =>
        (
          await h.ownerQuery<{ n: number }>(
            "SELECT count(*)::int AS n FROM subscriptions WHERE id = $1 AND pending_change ->> 'planId' = $2",
            [sub.body.id, to.id],
          )
        )[0]!.n === 1,
    );
    await h.ownerQuery('UPDATE plan_versions SET in_use_since = NULL WHERE plan_id = $1', [to.id]);
    const put = await api.request
      .put(`/api/pricing/plans/${to.id}`)
      .set(admin())
      .send(planBody(code, '99', ['calls']));
    expect(put.body.version).toBe(2);
    expect(new Decimal((await storedVersion(to.id, 1)).base_fee).toFixed(2)).toBe('30.00');
  });
});
