import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { createTestClickHouse } from '../../test/harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../../test/harness/api.ts';
import { timeSkippingEnvironment } from '../../test/harness/temporal.ts';
import { expectResponseMatchesSpec } from '../../test/harness/openapi-responses.ts';
import { withTenant } from '../../db/postgres/tenant-scope.ts';
import { subscriptionsRepository } from '../../db/postgres/subscriptions-repository.ts';
import type { PlanInput } from '../../domain/pricing/index.ts';

// Plans are private unless an admin publishes them. A customer reads public plans and the
// versions their own subscriptions use; every other plan or version is 404, as if it did not
// exist. Subscriptions are created through the API (which needs Temporal to start the
// workflow; no worker runs, the workflow is never executed).
let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let temporal: TestWorkflowEnvironment;
let api: TestApi;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const plan = (code: string, baseFee: string): PlanInput => ({
  code,
  name: code,
  currency: 'USD',
  interval: 'month',
  baseFee,
  charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.5' }],
});

let pub: { id: string };
let subscribed: { id: string };
let other: { id: string };
let subscriptionId: string;
let selfService: string;

const get = (path: string, token: string) => api.request.get(path).set(auth(token));
const quote = (id: string, token: string, body: object = {}) =>
  api.request
    .post(`/api/pricing/plans/${id}/quote`)
    .set(auth(token))
    .send({ usage: { calls: '10' }, ...body });
const codes = (res: { body: { items: { code: string }[] } }) => res.body.items.map((p) => p.code);

beforeAll(async () => {
  [db, ch, temporal] = await Promise.all([createTestDatabase(), createTestClickHouse(), timeSkippingEnvironment()]);
  api = await createTestApi({ db, clickhouse: ch.client, temporal: temporal.client, deps: { billing: { searchAttributes: false } } });
  const create = async (body: object) => {
    const res = await api.request.post('/api/pricing/plans').set(auth(api.tokens.admin)).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  };
  // given a public plan, a private plan tenant A subscribes to, and a private plan nobody uses
  pub = await create({ ...plan('pub', '10'), visibility: 'public' });
  subscribed = await create(plan('subscribed', '20'));
  other = await create({ ...plan('other', '30'), visibility: 'private' });
  const sub = await api.request
    .post('/api/subscriptions')
    .set(auth(api.tokens.admin))
    .send({ tenantId: api.tenants.a.id, planId: subscribed.id });
  expect(sub.status, JSON.stringify(sub.body)).toBe(201);
  subscriptionId = sub.body.id;
  // and then a price change, which (the version being in use) becomes version 2
  const changed = await api.request.put(`/api/pricing/plans/${subscribed.id}`).set(auth(api.tokens.admin)).send(plan('subscribed', '25'));
  expect(changed.body).toMatchObject({ version: 2, visibility: 'private' });
  const reg = await api.request
    .post('/api/auth/register')
    .send({ email: 'fresh@example.test', password: 'long enough pw', tenantName: 'Fresh Co' });
  expect(reg.status).toBe(201);
  selfService = reg.body.token;
});
afterAll(async () => {
  await Promise.all([db?.drop(), ch?.dispose()]);
  await temporal?.teardown();
});

describe('a fresh self-service customer', () => {
  it('lists only the public plans, counted as such', async () => {
    const res = await get('/api/pricing/plans', selfService);
    expect(res.status).toBe(200);
    expectResponseMatchesSpec('get', '/api/pricing/plans', res);
    expect(codes(res)).toEqual(['pub']);
    expect(res.body.total).toBe(1);
    expect(res.body.items[0]).toMatchObject({ visibility: 'public', baseFee: '10' });
  });

  it('gets 404 for a private plan, its versions, any ?version= of it, and a quote on it', async () => {
    for (const id of [subscribed.id, other.id]) {
      for (const path of [`/api/pricing/plans/${id}`, `/api/pricing/plans/${id}?version=1`, `/api/pricing/plans/${id}/versions`]) {
        const res = await get(path, selfService);
        expect(res.status, path).toBe(404);
        expect(res.headers['content-type']).toMatch(/problem\+json/);
        expectResponseMatchesSpec('get', path.split('?')[0]!, res);
      }
      const q = await quote(id, selfService);
      expect(q.status).toBe(404);
      expect((await quote(id, selfService, { version: 1 })).status).toBe(404);
    }
    // while the public plan reads and quotes as before
    expect((await get(`/api/pricing/plans/${pub.id}`, selfService)).status).toBe(200);
    expect((await quote(pub.id, selfService)).body).toMatchObject({ planId: pub.id, total: '15.00' });
  });
});

describe('a customer subscribed to a private plan', () => {
  it('sees the version their subscription uses, and not the newer one', async () => {
    const list = await get('/api/pricing/plans', api.tokens.customerA);
    expect(codes(list)).toEqual(['pub', 'subscribed']);
    expect(list.body.total).toBe(2);
    expect(list.body.items[1]).toMatchObject({ id: subscribed.id, version: 1, baseFee: '20' });

    const one = await get(`/api/pricing/plans/${subscribed.id}`, api.tokens.customerA);
    expect(one.body).toMatchObject({ version: 1, baseFee: '20' });
    expect((await get(`/api/pricing/plans/${subscribed.id}?version=1`, api.tokens.customerA)).status).toBe(200);
    expect((await get(`/api/pricing/plans/${subscribed.id}?version=2`, api.tokens.customerA)).status).toBe(404);
    const versions = await get(`/api/pricing/plans/${subscribed.id}/versions`, api.tokens.customerA);
    expect(versions.body.items.map((v: { version: number }) => v.version)).toEqual([1]);
  });

  it('quotes that version only, and no other private plan', async () => {
    expect((await quote(subscribed.id, api.tokens.customerA)).body).toMatchObject({ planVersion: 1, subtotal: '25.00' });
    expect((await quote(subscribed.id, api.tokens.customerA, { version: 2 })).status).toBe(404);
    expect((await get(`/api/pricing/plans/${other.id}`, api.tokens.customerA)).status).toBe(404);
    expect((await quote(other.id, api.tokens.customerA)).status).toBe(404);
  });

  it("is the only tenant that sees it: another tenant's customer gets 404", async () => {
    expect(codes(await get('/api/pricing/plans', api.tokens.customerB))).toEqual(['pub']);
    expect((await get(`/api/pricing/plans/${subscribed.id}?version=1`, api.tokens.customerB)).status).toBe(404);
    expect((await quote(subscribed.id, api.tokens.customerB)).status).toBe(404);
  });

  it('also sees the version a scheduled plan change moves them to', async () => {
    // when the workflow reports a change to version 2 at the period end (as its status activity does)
    await withTenant(db.pool, api.tenants.a.id, async (tx) => {
      const row = (await subscriptionsRepository.findById(tx, subscriptionId))!;
      await subscriptionsRepository.applyStatus(tx, subscriptionId, {
        seq: Number(row.status_seq) + 1,
        planId: row.plan_id,
        planVersion: row.plan_version,
        status: row.status,
        currentPeriodStart: row.current_period_start,
        currentPeriodEnd: row.current_period_end,
        nextInvoiceAt: row.next_invoice_at,
        lastInvoiceId: row.last_invoice_id,
        canceledAt: row.canceled_at,
        pendingChange: {
          type: 'change_plan',
          effective: 'period_end',
          planId: subscribed.id,
          version: 2,
          code: 'subscribed',
          at: '2030-01-01T00:00:00.000Z',
        },
      });
    });
    const versions = await get(`/api/pricing/plans/${subscribed.id}/versions`, api.tokens.customerA);
    expect(versions.body.items.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect((await get(`/api/pricing/plans/${subscribed.id}`, api.tokens.customerA)).body).toMatchObject({ version: 2, baseFee: '25' });
    // and still nobody else does
    expect((await get(`/api/pricing/plans/${subscribed.id}?version=2`, api.tokens.customerB)).status).toBe(404);
  });
});

describe('operators', () => {
  it('finance and admin see every plan, at its latest version, and may quote any', async () => {
    for (const token of [api.tokens.finance, api.tokens.admin]) {
      const list = await get('/api/pricing/plans', token);
      expect(codes(list)).toEqual(['other', 'pub', 'subscribed']);
      expect(list.body.total).toBe(3);
      expect(list.body.items.find((p: { code: string }) => p.code === 'subscribed')).toMatchObject({ version: 2, latestVersion: 2 });
      expect((await get(`/api/pricing/plans/${other.id}?version=1`, token)).status).toBe(200);
      expect((await get(`/api/pricing/plans/${subscribed.id}/versions`, token)).body.items).toHaveLength(2);
      expect((await quote(other.id, token)).status).toBe(200);
    }
  });
});

describe('setting visibility', () => {
  it('defaults to private on create, is kept when an update omits it, and publishing shows the plan at once', async () => {
    const created = await api.request.post('/api/pricing/plans').set(auth(api.tokens.admin)).send(plan('later', '5'));
    expect(created.body.visibility).toBe('private');
    expect((await get(`/api/pricing/plans/${created.body.id}`, selfService)).status).toBe(404);

    const published = await api.request
      .put(`/api/pricing/plans/${created.body.id}`)
      .set(auth(api.tokens.admin))
      .send({ ...plan('later', '5'), visibility: 'public' });
    expect(published.body).toMatchObject({ visibility: 'public', version: 1 });
    expect((await get(`/api/pricing/plans/${created.body.id}`, selfService)).status).toBe(200);

    const repriced = await api.request.put(`/api/pricing/plans/${created.body.id}`).set(auth(api.tokens.admin)).send(plan('later', '6'));
    expect(repriced.body).toMatchObject({ visibility: 'public', baseFee: '6' });

    await api.request
      .put(`/api/pricing/plans/${created.body.id}`)
      .set(auth(api.tokens.admin))
      .send({ ...plan('later', '6'), visibility: 'private' });
    expect((await get(`/api/pricing/plans/${created.body.id}`, selfService)).status).toBe(404);
  });

  it('refuses an unknown visibility with 400 naming the field, and writes nothing', async () => {
    const bad = await api.request
      .post('/api/pricing/plans')
      .set(auth(api.tokens.admin))
      .send({ ...plan('secret-plan', '1'), visibility: 'secret' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'visibility', message: 'must be "public" or "private"' }]);
    const put = await api.request
      .put(`/api/pricing/plans/${other.id}`)
      .set(auth(api.tokens.admin))
      .send({ ...plan('other', '99'), visibility: 'PUBLIC' });
    expect(put.status).toBe(400);
    const after = await get(`/api/pricing/plans/${other.id}`, api.tokens.admin);
    expect(after.body).toMatchObject({ visibility: 'private', baseFee: '30' });
    expect(codes(await get('/api/pricing/plans?limit=200', api.tokens.admin))).not.toContain('secret-plan');
  });

  it('only admins set it', async () => {
    for (const token of [api.tokens.finance, api.tokens.customerA]) {
      const res = await api.request
        .put(`/api/pricing/plans/${other.id}`)
        .set(auth(token))
        .send({ ...plan('other', '30'), visibility: 'public' });
      expect(res.status).toBe(403);
    }
    expect((await get(`/api/pricing/plans/${other.id}`, selfService)).status).toBe(404);
  });
});
