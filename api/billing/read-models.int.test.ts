import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'slonik';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createTestDatabase, type TestDatabase } from '../../test/harness/postgres.ts';
import { createTestClickHouse } from '../../test/harness/clickhouse.ts';
import { createTestApi, type TestApi } from '../../test/harness/api.ts';
import { expectResponseMatchesSpec } from '../../test/harness/openapi-responses.ts';
import { DAY, insertEvents, type EventRow } from '../../test/harness/alerts.ts';
import { planSchema } from '../../domain/pricing/index.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { plansRepository, type PlanRecord } from '../../db/postgres/plans-repository.ts';
import { subscriptionsRepository, type SubscriptionState } from '../../db/postgres/subscriptions-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { createBudgetActivities, type CheckBudgetsResult } from '../../activities/alerts/check-budgets.ts';
import { meteringUsageSource } from '../../activities/invoices/metering-usage-source.ts';

// The read models of the dashboard, attacked: wrong roles, another tenant's customer, malformed
// query parameters, two currencies side by side, and sums at the largest amounts storage holds.

let db: TestDatabase;
let ch: Awaited<ReturnType<typeof createTestClickHouse>>;
let api: TestApi;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const get = (path: string, token?: string) => (token ? api.request.get(path).set(auth(token)) : api.request.get(path));

/** The largest invoice total storage holds (int8 minor units): 92233720368547758.07 USD. */
const MAX_MINOR = 9223372036854775807n;
// "This month" of the figures, pinned: 2026-11-15 UTC.
const AT = new Date('2026-11-15T12:00:00Z');
const NOV = (day: number) => new Date(Date.UTC(2026, 10, day, 12));
const OCT = (day: number) => new Date(Date.UTC(2026, 9, day, 12));

let eurTenant: { id: string };
let plans: Record<string, PlanRecord>;
const subs: Record<string, string> = {};
let invoiceNumber = 0;

async function plan(code: string, currency: string, interval: string, baseFee: string, charges: unknown[] = []) {
  return withOperator(db.pool, (tx) =>
    plansRepository.insert(tx, planSchema.parse({ code, name: code, currency, interval, baseFee, charges })),
  );
}

async function subscribe(
  name: string,
  tenantId: string,
  p: PlanRecord,
  status: SubscriptionState,
  period = { start: new Date(Date.now() - 2 * DAY), end: new Date(Date.now() + 28 * DAY) },
) {
  const id = randomUUID();
  await withOperator(db.pool, (tx) =>
    subscriptionsRepository.insert(tx, {
      id,
      tenantId,
      planId: p.id,
      planVersion: p.version,
      status,
      startAt: period.start,
      billingAnchor: period.start,
      trialEnd: null,
      currentPeriodStart: period.start,
      currentPeriodEnd: period.end,
      nextInvoiceAt: period.end,
      workflowId: `subscription-${id}`,
    }),
  );
  subs[name] = id;
  return id;
}

type NewInvoice = {
  tenantId: string;
  subscriptionId: string;
  currency: string;
  status: string;
  totalMinor: bigint;
  issuedAt: Date;
  dueAt?: Date;
  paidMinor?: bigint;
  creditMinor?: bigint;
  usageMinor?: bigint;
};

/** Writes an invoice as billing leaves it (finalized and numbered unless draft), with one usage line. */
async function invoice(i: NewInvoice) {
  const id = randomUUID();
  const draft = i.status === 'draft';
  invoiceNumber += 1;
  const periodStart = new Date(i.issuedAt.getTime() - 30 * DAY - invoiceNumber * 1000);
  await withOperator(db.pool, async (tx) => {
    await tx.query(sql.unsafe`
      INSERT INTO invoices (id, tenant_id, subscription_id, number, status, reason, currency, period_start, period_end, subtotal_minor,
                            tax_minor, total_minor, amount_paid_minor, credit_applied_minor, issued_at, due_at)
      VALUES (${id}, ${i.tenantId}, ${i.subscriptionId}, ${draft ? null : `INV-2026-${String(invoiceNumber).padStart(6, '0')}`}, ${i.status},
              'period_end', ${i.currency}, ${periodStart.toISOString()}::timestamptz, ${i.issuedAt.toISOString()}::timestamptz, ${i.totalMinor},
              ${draft ? null : 0}, ${draft ? null : i.totalMinor}, ${i.paidMinor ?? 0n}, ${i.creditMinor ?? 0n},
              ${draft ? null : i.issuedAt.toISOString()}::timestamptz, ${i.dueAt ? i.dueAt.toISOString() : null}::timestamptz)`);
    await tx.query(sql.unsafe`
      INSERT INTO invoice_lines (tenant_id, invoice_id, position, type, description, meter, amount_minor)
      VALUES (${i.tenantId}, ${id}, 1, 'usage', 'Calls', 'calls', ${i.usageMinor ?? i.totalMinor})`);
  });
  return id;
}

const events = (tenantId: string, n: number, from: Date, prefix = 'e'): EventRow[] =>
  Array.from({ length: n }, (_, k) => ({
    tenant_id: tenantId,
    event_id: `${prefix}-${k}`,
    event_type: 'api.call',
    subject: tenantId,
    source: 'test',
    event_time: new Date(from.getTime() + k * 1000).toISOString().replace('T', ' ').slice(0, 23),
    data: '{}',
  }));

beforeAll(async () => {
  [db, ch] = await Promise.all([createTestDatabase(), createTestClickHouse()]);
  api = await createTestApi({ db, clickhouse: ch.client });
  expect(
    (
      await api.request
        .post('/api/meters')
        .set(auth(api.tokens.admin))
        .send({ code: 'calls', name: 'Calls', eventType: 'api.call', aggregation: 'count' })
    ).status,
  ).toBe(201);
  eurTenant = await withOperator(db.pool, (tx) =>
    tenantsRepository.insert(tx, { name: 'Euro tenant', externalId: `eur-${randomUUID()}`, currency: 'EUR' }),
  );
  const owner = await db.owner();
  try {
    await owner.query("UPDATE tenants SET tax_rate = '0.2', budget = '1000' WHERE id = $1", [api.tenants.a.id]);
  } finally {
    await owner.end();
  }
  plans = {
    usdMonthly: await plan('usd-monthly', 'USD', 'month', '10.00', [{ meter: 'calls', model: 'per_unit', unitPrice: '0.5' }]),
    usdMonthly2: await plan('usd-monthly-2', 'USD', 'month', '10.00'),
    usdTrial: await plan('usd-trial', 'USD', 'month', '999.00'),
    usdGone: await plan('usd-gone', 'USD', 'month', '777.00'),
    eurYearly: await plan('eur-yearly', 'EUR', 'year', '120.00'),
  };
  await subscribe('a', api.tenants.a.id, plans.usdMonthly!, 'active');
  await subscribe('b', api.tenants.b.id, plans.usdMonthly2!, 'past_due');
  await subscribe('bTrial', api.tenants.b.id, plans.usdTrial!, 'trialing');
  await subscribe('bGone', api.tenants.b.id, plans.usdGone!, 'canceled');
  await subscribe('eur', eurTenant.id, plans.eurYearly!, 'active');

  const A = api.tenants.a.id;
  const B = api.tenants.b.id;
  // USD this month: 2 × the largest total (the sum needs more than int8), and a paid one.
  await invoice({
    tenantId: A,
    subscriptionId: subs.a!,
    currency: 'USD',
    status: 'finalized',
    totalMinor: MAX_MINOR,
    issuedAt: NOV(2),
    dueAt: NOV(30),
    usageMinor: 500n,
  });
  await invoice({
    tenantId: B,
    subscriptionId: subs.b!,
    currency: 'USD',
    status: 'paid',
    totalMinor: MAX_MINOR,
    paidMinor: MAX_MINOR,
    issuedAt: NOV(3),
    usageMinor: 700n,
  });
  // USD last month: payment_failed and overdue (1,000.00 due, 250.00 credit, 100.00 paid → 650.00 owed);
  // uncollectible (300.00 owed); void (never counted); a draft (not issued).
  await invoice({
    tenantId: B,
    subscriptionId: subs.b!,
    currency: 'USD',
    status: 'payment_failed',
    totalMinor: 100000n,
    creditMinor: 25000n,
    paidMinor: 10000n,
    issuedAt: OCT(5),
    dueAt: OCT(20),
  });
  await invoice({
    tenantId: B,
    subscriptionId: subs.b!,
    currency: 'USD',
    status: 'uncollectible',
    totalMinor: 30000n,
    issuedAt: OCT(6),
    dueAt: OCT(21),
  });
  await invoice({ tenantId: A, subscriptionId: subs.a!, currency: 'USD', status: 'void', totalMinor: 55555n, issuedAt: NOV(4) });
  await invoice({ tenantId: A, subscriptionId: subs.a!, currency: 'USD', status: 'draft', totalMinor: 4444n, issuedAt: NOV(5) });
  // EUR this month: 12.34, and an overdue 5.00 of last month.
  await invoice({
    tenantId: eurTenant.id,
    subscriptionId: subs.eur!,
    currency: 'EUR',
    status: 'finalized',
    totalMinor: 1234n,
    issuedAt: NOV(7),
    dueAt: NOV(30),
  });
  await invoice({
    tenantId: eurTenant.id,
    subscriptionId: subs.eur!,
    currency: 'EUR',
    status: 'finalized',
    totalMinor: 500n,
    issuedAt: OCT(7),
    dueAt: OCT(30),
  });

  // Usage of the current period: 7 calls for A, 3 for B with the same ids (other events, other tenant).
  const start = new Date(Date.now() - DAY);
  await insertEvents(ch.client, [...events(A, 7, start), ...events(B, 3, start), ...events(A, 2, start)]);
}, 120_000);
afterAll(async () => Promise.all([db?.drop(), ch?.dispose()]));

describe('GET /api/billing/overview', () => {
  const overview = (token?: string, query = `?at=${AT.toISOString()}`) => get(`/api/billing/overview${query}`, token);

  it('answers admin and finance; a customer or a read key is 403, no credential 401', async () => {
    for (const token of [api.tokens.admin, api.tokens.finance]) {
      const res = await overview(token);
      expect(res.status).toBe(200);
      expectResponseMatchesSpec('get', '/api/billing/overview', res);
    }
    expect((await overview(api.tokens.customerA)).status).toBe(403);
    expect((await api.request.get('/api/billing/overview').set('X-API-Key', api.readKeys.a)).status).toBe(403);
    expect((await overview()).status).toBe(401);
  });

  it('refuses a malformed or unknown query parameter with 400 naming it', async () => {
    const bad = await overview(api.tokens.finance, '?at=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'query.at' })]);
    const far = await overview(api.tokens.finance, '?at=9999-12-15T00:00:00Z');
    expect(far.status).toBe(400);
    expect(far.body.errors).toEqual([expect.objectContaining({ field: 'query.at' })]);
    const unknown = await overview(api.tokens.finance, '?currency=USD');
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('currency');
  });

  it('sums each currency apart, exactly, beyond what int8 holds', async () => {
    const { body } = await overview(api.tokens.finance);
    expect(body.thisMonth).toEqual({ start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z' });
    expect(body.currencies.map((c: { currency: string }) => c.currency)).toEqual(['EUR', 'USD']);
    const [eur, usd] = body.currencies;
    expect(usd).toMatchObject({
      currency: 'USD',
      // 2 × 92233720368547758.07; the void and the draft are not revenue.
      revenueThisMonth: '184467440737095516.14',
      // 1,000.00 + 300.00 issued in October (payment_failed and uncollectible are billed).
      revenueLastMonth: '1300.00',
      // active 10.00 + past_due 10.00; trialing and canceled pay nothing.
      mrr: '20.00',
      overdue: { count: 1, amount: '650.00' },
      uncollectible: { count: 1, amount: '300.00' },
    });
    expect(eur).toMatchObject({
      currency: 'EUR',
      revenueThisMonth: '12.34',
      revenueLastMonth: '5.00',
      mrr: '10.00',
      overdue: { count: 1, amount: '5.00' },
      uncollectible: { count: 0, amount: '0.00' },
    });
    expect(usd.byStatus).toEqual(
      expect.arrayContaining([
        { status: 'draft', count: 1, amount: '44.44' },
        { status: 'void', count: 1, amount: '555.55' },
        { status: 'finalized', count: 1, amount: '92233720368547758.07' },
      ]),
    );
    // Usage billed in the 60 days before `at`: B 7.00 + 1,000.00 + 300.00 (October), A 5.00.
    expect(usd.topTenants).toEqual([
      { tenantId: api.tenants.b.id, amount: '1307.00' },
      { tenantId: api.tenants.a.id, amount: '5.00' },
    ]);
    expect(eur.topTenants).toEqual([{ tenantId: eurTenant.id, amount: '17.34' }]);
    expect(body.subscriptions).toEqual({ trialing: 1, active: 2, pastDue: 1, canceled: 1 });
  });

  it('moves "this month" with ?at: in December, November is last month', async () => {
    const { body } = await overview(api.tokens.admin, '?at=2026-12-01T00:00:00Z');
    const usd = body.currencies.find((c: { currency: string }) => c.currency === 'USD');
    expect(usd).toMatchObject({ revenueThisMonth: '0.00', revenueLastMonth: '184467440737095516.14' });
  });
});

describe('GET /api/usage/by-tenant', () => {
  const window = () => `from=${new Date(Date.now() - 3 * DAY).toISOString()}&to=${new Date(Date.now() + DAY).toISOString()}`;

  it('totals every tenant in one read and lists the top tenants, largest first', async () => {
    const res = await get(`/api/usage/by-tenant?${window()}`, api.tokens.finance);
    expect(res.status).toBe(200);
    expectResponseMatchesSpec('get', '/api/usage/by-tenant', res);
    expect(res.body.tenants).toBe(3);
    // A's 7 + 2 (e-0, e-1 twice: counted once) = 7; B's 3 with the same ids count for B.
    expect(res.body.items).toEqual([
      {
        meter: 'calls',
        aggregation: 'count',
        value: '10',
        events: 10,
        tenantsWithUsage: 2,
        top: [
          { tenantId: api.tenants.a.id, value: '7', events: 7 },
          { tenantId: api.tenants.b.id, value: '3', events: 3 },
        ],
      },
    ]);
    const one = await get(`/api/usage/by-tenant?${window()}&meter=calls&top=1`, api.tokens.admin);
    expect(one.body.items[0].top).toEqual([{ tenantId: api.tenants.a.id, value: '7', events: 7 }]);
  });

  it('is for operators only: a customer and a read key get 403', async () => {
    expect((await get(`/api/usage/by-tenant?${window()}`, api.tokens.customerA)).status).toBe(403);
    expect((await api.request.get(`/api/usage/by-tenant?${window()}`).set('X-API-Key', api.readKeys.a)).status).toBe(403);
  });

  it.each([
    ['from=soon&to=2026-01-01T00:00:00Z', 'from'],
    ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
    ['from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
    ['from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&top=0', 'top'],
    ['from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&top=1e1', 'top'],
    ['from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&tenantId=x', 'tenantId'],
  ])('refuses %s with 400 naming %s', async (query, field) => {
    const res = await get(`/api/usage/by-tenant?${query}`, api.tokens.finance);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.errors ?? res.body)).toContain(field);
  });

  it('is 404 for a meter that does not exist', async () => {
    expect((await get(`/api/usage/by-tenant?${window()}&meter=nope`, api.tokens.finance)).status).toBe(404);
  });
});

describe('GET /api/subscriptions/:id/estimate', () => {
  const estimate = (id: string, token?: string) => get(`/api/subscriptions/${id}/estimate`, token);

  it("prices the period so far with the subscription's plan version, for its own customer and operators", async () => {
    for (const token of [api.tokens.customerA, api.tokens.finance, api.tokens.admin]) {
      const res = await estimate(subs.a!, token);
      expect(res.status).toBe(200);
      expectResponseMatchesSpec('get', '/api/subscriptions/{id}/estimate', res);
      // 10.00 + 7 calls × 0.50 = 13.50, tax 20 % = 2.70.
      expect(res.body).toMatchObject({
        subscriptionId: subs.a,
        tenantId: api.tenants.a.id,
        planId: plans.usdMonthly!.id,
        planVersion: 1,
        currency: 'USD',
        taxRate: '0.2',
        baseFee: '10.00',
        lines: [{ meter: 'calls', model: 'per_unit', quantity: '7', amount: '3.50' }],
        subtotal: '13.50',
        tax: '2.70',
        total: '16.20',
      });
    }
  });

  it("is 404 for another tenant's customer, as for a subscription that does not exist", async () => {
    const other = await estimate(subs.a!, api.tokens.customerB);
    expect(other.status).toBe(404);
    expect((await estimate(randomUUID(), api.tokens.customerB)).body.detail).toBe(other.body.detail);
    expect((await estimate(randomUUID(), api.tokens.admin)).status).toBe(404);
  });

  it('is 400 naming id for a malformed id, 403 for an API key, 401 without a credential', async () => {
    const bad = await estimate('not-a-uuid', api.tokens.admin);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'params.id' })]);
    expect((await api.request.get(`/api/subscriptions/${subs.a}/estimate`).set('X-API-Key', api.readKeys.a)).status).toBe(403);
    expect((await estimate(subs.a!)).status).toBe(401);
  });

  it('is 409 for a subscription in trial or ended', async () => {
    expect((await estimate(subs.bTrial!, api.tokens.admin)).status).toBe(409);
    expect((await estimate(subs.bGone!, api.tokens.admin)).status).toBe(409);
  });

  it('agrees with the budget check, which composes its estimate with the same function', async () => {
    const usage = meteringUsageSource({
      clickhouse: ch.client,
      findMeter: (_tenantId, code) => metersRepository.findByCode(db.pool, code),
    });
    const { checkBudgets } = createBudgetActivities({ pg: db.pool, clickhouse: ch.client, usage });
    const result: CheckBudgetsResult = await new MockActivityEnvironment().run(checkBudgets, { at: new Date().toISOString() });
    const { body } = await estimate(subs.a!, api.tokens.customerA);
    // A's budget is 1000: 16.20 is below every level, so nothing is raised, and the check saw A.
    expect(result.tenants).toBe(1);
    expect(result.raised).toEqual([]);
    // The same composition with a budget of 16.20 raises 100 % with the estimate as observed.
    const owner = await db.owner();
    try {
      await owner.query('UPDATE tenants SET budget = $1 WHERE id = $2', [body.total, api.tenants.a.id]);
    } finally {
      await owner.end();
    }
    const again: CheckBudgetsResult = await new MockActivityEnvironment().run(checkBudgets, { at: new Date().toISOString() });
    expect(again.raised).toEqual([expect.objectContaining({ tenantId: api.tenants.a.id, level: 100, observed: body.total })]);
  });
});

describe('GET /api/tenants/:id/overview', () => {
  it("gives a tenant's own customer its page in one call: tenant, subscriptions, invoices without lines, alerts, keys", async () => {
    const res = await get(`/api/tenants/${api.tenants.a.id}/overview`, api.tokens.customerA);
    expect(res.status).toBe(200);
    expectResponseMatchesSpec('get', '/api/tenants/{id}/overview', res);
    expect(res.body.tenant.id).toBe(api.tenants.a.id);
    expect(res.body.subscriptions.items.map((s: { id: string }) => s.id)).toEqual([subs.a]);
    expect(res.body.invoices.total).toBe(3);
    expect(res.body.invoices.items.every((i: object) => !('lines' in i))).toBe(true);
    expect(res.body.apiKeys.map((k: { scopes: string[] }) => k.scopes).sort()).toEqual([['ingest'], ['read']]);
  });

  it("is 404 for another tenant's customer, 400 naming id when malformed; finance sees no keys", async () => {
    expect((await get(`/api/tenants/${api.tenants.a.id}/overview`, api.tokens.customerB)).status).toBe(404);
    const bad = await get('/api/tenants/nope/overview', api.tokens.admin);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'params.id' })]);
    const finance = await get(`/api/tenants/${api.tenants.b.id}/overview`, api.tokens.finance);
    expect(finance.status).toBe(200);
    expect(finance.body.apiKeys).toBeNull();
    expect(finance.body.subscriptions.total).toBe(3);
  });

  it("carries the tenant's usage limits with their figures, exactly as GET /usage-limits lists them, and no one else's", async () => {
    const limits = `/api/tenants/${api.tenants.b.id}/usage-limits`;
    expect((await get(`/api/tenants/${api.tenants.b.id}/overview`, api.tokens.customerB)).body.usageLimits).toEqual([]);
    const admins = await api.request
      .post(limits)
      .set(auth(api.tokens.admin))
      .send({ meter: 'calls', window: 'day', limit: '1000', mode: 'hard' });
    expect(admins.status).toBe(201);
    const own = await api.request
      .post(limits)
      .set(auth(api.tokens.customerB))
      .send({ meter: 'calls', window: 'month', limit: '10.5', mode: 'soft' });
    expect(own.status).toBe(201);
    // another tenant's limit, which tenant b's overview must not carry
    const elsewhere = await api.request
      .post(`/api/tenants/${api.tenants.a.id}/usage-limits`)
      .set(auth(api.tokens.admin))
      .send({ meter: 'calls', window: 'day', limit: '5', mode: 'hard' });
    expect(elsewhere.status).toBe(201);

    for (const token of [api.tokens.customerB, api.tokens.admin, api.tokens.finance]) {
      const res = await get(`/api/tenants/${api.tenants.b.id}/overview`, token);
      expect(res.status).toBe(200);
      expectResponseMatchesSpec('get', '/api/tenants/{id}/overview', res);
      expect(res.body.usageLimits).toEqual((await get(limits, token)).body.items);
      expect(res.body.usageLimits.map((l: { id: string; createdBy: string }) => [l.id, l.createdBy]).sort()).toEqual(
        [
          [admins.body.id, 'admin'],
          [own.body.id, 'customer'],
        ].sort(),
      );
    }
    expect((await get(`/api/tenants/${api.tenants.b.id}/overview`, api.tokens.customerA)).status).toBe(404);
    await api.request.delete(`/api/tenants/${api.tenants.a.id}/usage-limits/${elsewhere.body.id}`).set(auth(api.tokens.admin)).expect(204);
  });
});

describe('GET /api/tenants/:id/overview: credit', () => {
  const grant = (tenantId: string, currency: string, amount: string, reason: string) =>
    api.request.post(`/api/tenants/${tenantId}/credit-grants`).set(auth(api.tokens.finance)).send({ amount, currency, reason }).expect(201);

  it('carries the balance, a ledger page and the period entries, the same figures as the credit routes', async () => {
    // given a tenant with three grants
    const tenantId = api.tenants.a.id;
    const { currency } = (await get(`/api/tenants/${tenantId}/overview`, api.tokens.admin)).body.tenant;
    for (const [i, amount] of ['10.00', '2.50', '0.01'].entries()) await grant(tenantId, currency, amount, `overview credit ${i}`);
    // when its own customer reads the overview
    const res = await get(`/api/tenants/${tenantId}/overview`, api.tokens.customerA);
    // then the credit part is what the credit routes answer
    expect(res.status).toBe(200);
    expectResponseMatchesSpec('get', '/api/tenants/{id}/overview', res);
    const balance = (await get(`/api/tenants/${tenantId}/credit-balance`, api.tokens.customerA)).body;
    const ledger = (await get(`/api/tenants/${tenantId}/credit-ledger?limit=20`, api.tokens.customerA)).body;
    expect({ ...res.body.credits.balance, asOf: null }).toEqual({ ...balance, asOf: null });
    expect(res.body.credits.balance.granted).toBe('12.51');
    expect(res.body.credits.ledger).toEqual(ledger);
    // the grants were made now, so within the period: the burn-down starts at the balance before them
    const { period } = res.body.credits;
    expect(period.entries.map((e: { amount: string }) => e.amount).slice(-3)).toEqual(['10.00', '2.50', '0.01']);
    expect(period.entries.at(-1).balanceAfter).toBe(balance.remaining);
    expect(Date.parse(period.from)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(period.to)).toBeGreaterThan(Date.now());
  });

  it('pages the ledger with ledgerCursor, refuses a malformed one naming it, and is 404 for another tenant’s customer', async () => {
    const tenantId = api.tenants.a.id;
    const first = (await get(`/api/tenants/${tenantId}/credit-ledger?limit=1`, api.tokens.admin)).body;
    const next = await get(`/api/tenants/${tenantId}/overview?ledgerCursor=${first.nextCursor}`, api.tokens.admin);
    expect(next.status).toBe(200);
    const direct = (await get(`/api/tenants/${tenantId}/credit-ledger?limit=20&cursor=${first.nextCursor}`, api.tokens.admin)).body;
    expect(next.body.credits.ledger).toEqual(direct);
    expect(next.body.credits.ledger.items[0].id).not.toBe(first.items[0].id);
    const bad = await get(`/api/tenants/${tenantId}/overview?ledgerCursor=-1`, api.tokens.admin);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'query.ledgerCursor' })]);
    expect((await get(`/api/tenants/${tenantId}/overview?ledgerCursor=${first.nextCursor}`, api.tokens.customerB)).status).toBe(404);
  });
});

describe('GET /api/invoices/:id/payment-attempts', () => {
  let invoiceId: string;
  beforeAll(async () => {
    invoiceId = await invoice({
      tenantId: api.tenants.a.id,
      subscriptionId: subs.a!,
      currency: 'USD',
      status: 'payment_failed',
      totalMinor: MAX_MINOR,
      issuedAt: NOV(9),
      dueAt: NOV(20),
    });
    await withOperator(db.pool, async (tx) => {
      await tx.query(sql.unsafe`
        INSERT INTO payment_attempts (tenant_id, invoice_id, attempt, idempotency_key, gateway, amount_minor, status, failure_reason, created_at, completed_at)
        VALUES (${api.tenants.a.id}, ${invoiceId}, 1, ${`k1-${invoiceId}`}, 'builtin', ${MAX_MINOR}, 'declined', 'card declined', '2026-11-09T12:00:00Z', '2026-11-09T12:00:01Z'),
               (${api.tenants.a.id}, ${invoiceId}, 2, ${`k2-${invoiceId}`}, 'builtin', ${MAX_MINOR}, 'pending', NULL, '2026-11-12T12:00:00Z', NULL)`);
    });
  });
  const attempts = (id: string, token: string) => get(`/api/invoices/${id}/payment-attempts`, token);

  it('lists each attempt with its outcome, the amount exact at the largest total', async () => {
    const res = await attempts(invoiceId, api.tokens.customerA);
    expect(res.status).toBe(200);
    expectResponseMatchesSpec('get', '/api/invoices/{id}/payment-attempts', res);
    expect(res.body.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        status: 'declined',
        amount: '92233720368547758.07',
        failureReason: 'card declined',
        startedAt: '2026-11-09T12:00:00.000Z',
        completedAt: '2026-11-09T12:00:01.000Z',
      }),
      expect.objectContaining({ attempt: 2, status: 'pending', completedAt: null }),
    ]);
    // This app has no Temporal: the attempts still show, the next retry is unknown.
    expect(res.body).toMatchObject({ nextRetryAt: null, dunning: 'unknown' });
    expect((await api.request.get(`/api/invoices/${invoiceId}/payment-attempts`).set('X-API-Key', api.readKeys.a)).status).toBe(200);
  });

  it("is 404 for another tenant's customer and read key, 400 naming id when malformed", async () => {
    expect((await attempts(invoiceId, api.tokens.customerB)).status).toBe(404);
    expect((await api.request.get(`/api/invoices/${invoiceId}/payment-attempts`).set('X-API-Key', api.readKeys.b)).status).toBe(404);
    expect((await attempts(randomUUID(), api.tokens.finance)).status).toBe(404);
    const bad = await attempts('1', api.tokens.finance);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'params.id' })]);
  });
});

describe('GET /api/invoices lines', () => {
  it('leaves lines out unless ?include=lines, and refuses any other include naming it', async () => {
    const plain = await get(`/api/invoices?tenantId=${eurTenant.id}`, api.tokens.finance);
    expect(plain.status).toBe(200);
    expectResponseMatchesSpec('get', '/api/invoices', plain);
    expect(plain.body.items).toHaveLength(2);
    expect(plain.body.items.some((i: object) => 'lines' in i)).toBe(false);
    const full = await get(`/api/invoices?tenantId=${eurTenant.id}&include=lines`, api.tokens.finance);
    expectResponseMatchesSpec('get', '/api/invoices', full);
    expect(full.body.items.map((i: { lines: { amount: string }[] }) => i.lines.map((l) => l.amount))).toEqual([['12.34'], ['5.00']]);
    const bad = await get('/api/invoices?include=everything', api.tokens.finance);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'query.include' })]);
  });
});
