import { beforeAll, describe, expect, it } from 'vitest';
import { useTestEnvironment } from '../../test/harness/environment.ts';
import { expectResponseMatchesSpec } from '../../test/harness/openapi-responses.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { plansRepository } from '../../db/postgres/plans-repository.ts';
import { tenantsRepository } from '../../db/postgres/tenants-repository.ts';
import { planSchema, quotePlan, type PlanInput } from '../../domain/pricing/index.ts';

const env = useTestEnvironment();
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  await withOperator(env.db.pool, (tx) => tenantsRepository.update(tx, env.api.tenants.a.id, { taxRate: '0.2' }));
});

const apiCalls: PlanInput = {
  code: 'api-pro',
  name: 'API Pro',
  currency: 'USD',
  interval: 'month',
  baseFee: '29.99',
  trialDays: 14,
  charges: [
    {
      meter: 'api_calls',
      model: 'graduated',
      freeUnits: '1000',
      tiers: [
        { upTo: '10000', unitPrice: '0.002' },
        { upTo: null, unitPrice: '0.001', flatFee: '5' },
      ],
    },
    { meter: 'storage_gb', model: 'per_unit', unitPrice: '0.125', minimum: '1' },
    { meter: 'support', model: 'flat', amount: '49' },
  ],
};

const createPlan = (body: unknown) =>
  env.api.request
    .post('/api/pricing/plans')
    .set(auth(env.api.tokens.admin))
    .send(body as object);

describe('plans', () => {
  it('an admin creates a plan at version 1; every signed-in role reads a public one', async () => {
    const res = await createPlan({ ...apiCalls, visibility: 'public' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/api/pricing/plans/${res.body.id}`);
    expect(res.body).toMatchObject({
      code: 'api-pro',
      version: 1,
      latestVersion: 1,
      visibility: 'public',
      inUse: false,
      baseFee: '29.99',
      intervalCount: 1,
      trialDays: 14,
      gracePeriodSeconds: 3600,
    });
    expect(res.body.charges).toEqual(planSchema.parse(apiCalls).charges);
    for (const token of [env.api.tokens.finance, env.api.tokens.customerA]) {
      const one = await env.api.request.get(`/api/pricing/plans/${res.body.id}`).set(auth(token));
      expect(one.status).toBe(200);
      expect(one.body).toEqual(res.body);
      const list = await env.api.request.get('/api/pricing/plans').set(auth(token));
      expect(list.body.items.map((p: { code: string }) => p.code)).toContain('api-pro');
    }
  });

  it('only admins create and change plans', async () => {
    for (const token of [env.api.tokens.finance, env.api.tokens.customerA]) {
      const res = await env.api.request
        .post('/api/pricing/plans')
        .set(auth(token))
        .send({ ...apiCalls, code: 'nope' });
      expect(res.status).toBe(403);
    }
    expect((await env.api.request.get('/api/pricing/plans')).status).toBe(401);
  });

  it('refuses invalid tiers with 400 naming the tier index, and writes nothing', async () => {
    const res = await createPlan({
      ...apiCalls,
      code: 'bad-tiers',
      charges: [
        {
          meter: 'api_calls',
          model: 'volume',
          tiers: [
            { upTo: '100', unitPrice: '1' },
            { upTo: '50', unitPrice: '0.5' },
            { upTo: null, unitPrice: '0.1' },
          ],
        },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: 'charges.0.tiers.1.upTo', message: "must be greater than the previous tier's upTo (100)" }]);
    expect(await withOperator(env.db.pool, (tx) => plansRepository.findByCode(tx, 'bad-tiers'))).toBeNull();
  });

  it('refuses a negative price and an unbounded middle tier, naming each', async () => {
    const res = await createPlan({
      ...apiCalls,
      code: 'bad-tiers-2',
      charges: [
        {
          meter: 'x',
          model: 'graduated',
          tiers: [
            { upTo: null, unitPrice: '1' },
            { upTo: '10', unitPrice: '-1' },
          ],
        },
      ],
    });
    expect(res.status).toBe(400);
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['charges.0.tiers.0.upTo', 'charges.0.tiers.1.unitPrice', 'charges.0.tiers.1.upTo']);
  });

  it('keeps includedCredits, and refuses a bad one with 400 naming the field, writing nothing', async () => {
    const ok = await createPlan({ ...apiCalls, code: 'with-credits', includedCredits: { amount: '25.00', rollover: false } });
    expectResponseMatchesSpec('POST', '/api/pricing/plans', ok);
    expect([ok.status, ok.body.includedCredits]).toEqual([201, { amount: '25.00', rollover: false }]);
    const cases: [unknown, string][] = [
      [{ amount: '1.001', rollover: true }, 'includedCredits.amount'],
      [{ amount: '0', rollover: true }, 'includedCredits.amount'],
      [{ amount: 'ten', rollover: true }, 'includedCredits.amount'],
      [{ amount: 25, rollover: true }, 'includedCredits.amount'],
      [{ amount: '92233720368547758.08', rollover: true }, 'includedCredits.amount'],
      [{ amount: '1.00', rollover: 'yes' }, 'includedCredits.rollover'],
      [{ amount: '1.00' }, 'includedCredits.rollover'],
    ];
    for (const [includedCredits, field] of cases) {
      const res = await createPlan({ ...apiCalls, code: 'bad-credits', includedCredits });
      expectResponseMatchesSpec('POST', '/api/pricing/plans', res);
      expect([res.status, res.body.errors?.[0]?.field], JSON.stringify(includedCredits)).toEqual([400, field]);
    }
    const stored = await withOperator(env.db.pool, (tx) => plansRepository.list(tx, { kind: 'operator' }, { limit: 1000, offset: 0 }));
    expect(stored.map((p) => p.plan.code)).not.toContain('bad-credits');
  });

  it('answers 409 for a duplicate code', async () => {
    const res = await createPlan({ ...apiCalls, name: 'Again' });
    expect(res.status).toBe(409);
    expect(res.body.errors).toEqual([{ field: 'code', message: 'is already used by another plan' }]);
  });

  it('edits an unused plan in place, and versions a plan once a subscription uses it', async () => {
    const created = (await createPlan({ ...apiCalls, code: 'versioned', baseFee: '10' })).body;
    const put = (body: PlanInput) => env.api.request.put(`/api/pricing/plans/${created.id}`).set(auth(env.api.tokens.admin)).send(body);

    // given no subscriber, a change edits version 1
    const edited = await put({ ...apiCalls, code: 'versioned', baseFee: '12' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ version: 1, latestVersion: 1, baseFee: '12' });

    // given a subscription uses version 1, a change creates version 2
    await withOperator(env.db.pool, (tx) => plansRepository.markInUse(tx, created.id, 1));
    const versioned = await put({ ...apiCalls, code: 'versioned', baseFee: '15' });
    expect(versioned.body).toMatchObject({ version: 2, latestVersion: 2, baseFee: '15', inUse: false });

    // then version 1 keeps its prices, and the plan reads as version 2
    const v1 = await env.api.request.get(`/api/pricing/plans/${created.id}?version=1`).set(auth(env.api.tokens.finance));
    expect(v1.body).toMatchObject({ version: 1, latestVersion: 2, baseFee: '12', inUse: true });
    const latest = await env.api.request.get(`/api/pricing/plans/${created.id}`).set(auth(env.api.tokens.finance));
    expect(latest.body).toMatchObject({ version: 2, baseFee: '15' });
    const versions = await env.api.request.get(`/api/pricing/plans/${created.id}/versions`).set(auth(env.api.tokens.finance));
    expect(versions.body.items.map((v: { version: number; baseFee: string }) => [v.version, v.baseFee])).toEqual([
      [1, '12'],
      [2, '15'],
    ]);

    // and the code is the plan's identity
    const renamed = await put({ ...apiCalls, code: 'other-code' });
    expect(renamed.status).toBe(400);
    expect(renamed.body.errors[0].field).toBe('code');
  });

  it('answers 404 for an unknown plan or version', async () => {
    const missing = await env.api.request.get('/api/pricing/plans/00000000-0000-4000-8000-000000000000').set(auth(env.api.tokens.admin));
    expect(missing.status).toBe(404);
    const created = (await createPlan({ ...apiCalls, code: 'one-version' })).body;
    expect((await env.api.request.get(`/api/pricing/plans/${created.id}?version=2`).set(auth(env.api.tokens.admin))).status).toBe(404);
  });

  it('refuses a version beyond the database integer range with 400 naming it, at the edge and past it', async () => {
    const created = (await createPlan({ ...apiCalls, code: 'int-range' })).body;
    for (const version of ['9999999999', '2147483648']) {
      const res = await env.api.request.get(`/api/pricing/plans/${created.id}?version=${version}`).set(auth(env.api.tokens.admin));
      expect(res.status, version).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'query.version', message: 'must be at most 2147483647' }]);
    }
    // The largest value the schema allows reaches the database and is simply not there.
    expect((await env.api.request.get(`/api/pricing/plans/${created.id}?version=2147483647`).set(auth(env.api.tokens.admin))).status).toBe(
      404,
    );
  });
});

describe('quotes', () => {
  // A set of plans covering every model, currencies with 0, 2 and 3 minor digits, and tiny prices.
  const plans: PlanInput[] = [
    apiCalls,
    {
      code: 'q-volume-jpy',
      name: 'Volume JPY',
      currency: 'JPY',
      interval: 'month',
      baseFee: '1000',
      charges: [
        {
          meter: 'seats',
          model: 'volume',
          tiers: [
            { upTo: '10', unitPrice: '500', flatFee: '100' },
            { upTo: null, unitPrice: '400.5' },
          ],
        },
      ],
    },
    {
      code: 'q-package-bhd',
      name: 'Package BHD',
      currency: 'BHD',
      interval: 'year',
      baseFee: '0.0005',
      charges: [{ meter: 'sms', model: 'package', packageSize: 100, packagePrice: '1.2345', freeUnits: '50' }],
    },
    {
      code: 'q-tiny',
      name: 'Tiny prices',
      currency: 'EUR',
      interval: 'week',
      baseFee: '0',
      charges: [
        { meter: 'tokens', model: 'per_unit', unitPrice: '0.000000000001' },
        {
          meter: 'calls',
          model: 'graduated',
          tiers: [
            { upTo: '0.5', unitPrice: '3', flatFee: '0.004' },
            { upTo: null, unitPrice: '1' },
          ],
        },
      ],
    },
  ];
  const usages: Record<string, string>[] = [
    {},
    { api_calls: '25000.5', storage_gb: '3.333', seats: '10', sms: '151', tokens: '1000000000000000', calls: '0.5' },
    { api_calls: '1000', storage_gb: '0', seats: '11', sms: '50', tokens: '123456789', calls: '2.25', unknown: '7' },
  ];

  it('returns exactly what domain quotePlan computes, for every plan and usage', async () => {
    for (const input of plans) {
      const created =
        input.code === 'api-pro'
          ? (await env.api.request.get('/api/pricing/plans').set(auth(env.api.tokens.admin))).body.items.find(
              (p: { code: string }) => p.code === 'api-pro',
            )
          : (await createPlan(input)).body;
      for (const usage of usages) {
        const res = await env.api.request.post(`/api/pricing/plans/${created.id}/quote`).set(auth(env.api.tokens.finance)).send({ usage });
        expect(res.status).toBe(200);
        const { currency, baseFee, lines, subtotal, tax, total } = res.body;
        expect({ currency, baseFee, lines, subtotal, tax, total }).toEqual(quotePlan(planSchema.parse(input), usage, '0'));
      }
    }
  });

  it("prices a period by hand: graduated after free units, a minimum, a flat charge and the tenant's tax", async () => {
    const plan = (await env.api.request.get('/api/pricing/plans').set(auth(env.api.tokens.admin))).body.items.find(
      (p: { code: string }) => p.code === 'api-pro',
    );
    const res = await env.api.request
      .post(`/api/pricing/plans/${plan.id}/quote`)
      .set(auth(env.api.tokens.admin))
      .send({ usage: { api_calls: '25000', storage_gb: '4' }, tenantId: env.api.tenants.a.id });
    // api_calls: 25000 − 1000 free = 24000; tier 1: 10000 × 0.002 = 20; tier 2: 14000 × 0.001 + 5 = 19 → 39.00
    // storage_gb: 4 × 0.125 = 0.50, below the minimum of 1 → 1.00
    // support: flat 49.00; base fee 29.99
    // subtotal 29.99 + 39 + 1 + 49 = 118.99; tax round(118.99 × 0.2 = 23.798) = 23.80; total 142.79
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      planId: plan.id,
      planVersion: 1,
      tenantId: env.api.tenants.a.id,
      taxRate: '0.2',
      currency: 'USD',
      baseFee: '29.99',
      subtotal: '118.99',
      tax: '23.80',
      total: '142.79',
    });
    expect(
      res.body.lines.map((l: { meter: string; model: string; quantity: string; amount: string }) => [
        l.meter,
        l.model,
        l.quantity,
        l.amount,
      ]),
    ).toEqual([
      ['api_calls', 'graduated', '25000', '39.00'],
      ['storage_gb', 'per_unit', '4', '1.00'],
      ['support', 'flat', '0', '49.00'],
    ]);
  });

  it("taxes a customer's quote at their own tenant's rate, and hides other tenants", async () => {
    const plan = (await env.api.request.get('/api/pricing/plans').set(auth(env.api.tokens.customerA))).body.items.find(
      (p: { code: string }) => p.code === 'api-pro',
    );
    const own = await env.api.request.post(`/api/pricing/plans/${plan.id}/quote`).set(auth(env.api.tokens.customerA)).send({ usage: {} });
    // 29.99 + 0 (api_calls: first tier has no flat fee) + 1 (storage minimum) + 49 = 79.99; tax 16.00 (15.998)
    expect(own.body).toMatchObject({ tenantId: env.api.tenants.a.id, subtotal: '79.99', tax: '16.00', total: '95.99' });
    const other = await env.api.request
      .post(`/api/pricing/plans/${plan.id}/quote`)
      .set(auth(env.api.tokens.customerA))
      .send({ usage: {}, tenantId: env.api.tenants.b.id });
    expect(other.status).toBe(404);
    const explicitOwn = await env.api.request
      .post(`/api/pricing/plans/${plan.id}/quote`)
      .set(auth(env.api.tokens.customerB))
      .send({ usage: {}, tenantId: env.api.tenants.b.id });
    expect(explicitOwn.body).toMatchObject({ tenantId: env.api.tenants.b.id, taxRate: '0', tax: '0.00', total: '79.99' });
  });

  it('refuses usage that is not a decimal string, naming the meter', async () => {
    const plan = (await env.api.request.get('/api/pricing/plans').set(auth(env.api.tokens.admin))).body.items.find(
      (p: { code: string }) => p.code === 'api-pro',
    );
    const res = await env.api.request
      .post(`/api/pricing/plans/${plan.id}/quote`)
      .set(auth(env.api.tokens.admin))
      .send({ usage: { api_calls: 12 } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('usage.api_calls');
    const negative = await env.api.request
      .post(`/api/pricing/plans/${plan.id}/quote`)
      .set(auth(env.api.tokens.admin))
      .send({ usage: { api_calls: '-1' } });
    expect(negative.status).toBe(400);
  });

  it('refuses usage that prices to more than an invoice can hold with 400 naming the meter, up to the last minor unit', async () => {
    // 1000 per call: 92233720368547.75807 calls price to 92233720368547758.07 USD, the most an
    // invoice stores (2^63 − 1 cents); one hundred-thousandth of a call more is one cent more.
    const { id } = (
      await createPlan({
        code: 'q-edge',
        name: 'Edge',
        currency: 'USD',
        interval: 'month',
        baseFee: '0',
        charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '1000' }],
      })
    ).body;
    const quote = (usage: Record<string, string>, tenantId?: string) =>
      env.api.request
        .post(`/api/pricing/plans/${id}/quote`)
        .set(auth(env.api.tokens.admin))
        .send({ usage, ...(tenantId ? { tenantId } : {}) });

    const largest = await quote({ calls: '92233720368547.75807' });
    expect(largest.status).toBe(200);
    expect(largest.body.total).toBe('92233720368547758.07');

    const over = await quote({ calls: '92233720368547.75808' });
    expect(over.status).toBe(400);
    expect(over.headers['content-type']).toMatch(/application\/problem\+json/);
    expectResponseMatchesSpec('POST', '/api/pricing/plans/{id}/quote', over);
    expect(over.body.errors).toEqual([
      {
        field: 'usage.calls',
        message: 'the calls charge of 92233720368547758.08 USD is more than an invoice can hold (at most 92233720368547758.07 USD)',
      },
    ]);

    // The largest usage a quote's schema takes (30 integer digits), far beyond.
    const huge = await quote({ calls: '999999999999999999999999999999.999999999999' });
    expect([huge.status, huge.body.errors?.[0]?.field]).toEqual([400, 'usage.calls']);

    // The line fits, the total with tenant A's 20 % tax does not: no one meter to blame.
    const taxed = await quote({ calls: '92233720368547.75807' }, env.api.tenants.a.id);
    expect(taxed.status).toBe(400);
    expect(taxed.body.errors).toEqual([
      { field: 'usage', message: expect.stringMatching(/^the total of 110680464442257309\.68 USD is more than an invoice can hold/) },
    ]);
  });

  it('refuses a quote version beyond the database integer range with 400, and later quotes still work', async () => {
    const plan = (await env.api.request.get('/api/pricing/plans').set(auth(env.api.tokens.admin))).body.items.find(
      (p: { code: string }) => p.code === 'api-pro',
    );
    const quote = (body: object, token = env.api.tokens.admin) =>
      env.api.request.post(`/api/pricing/plans/${plan.id}/quote`).set(auth(token)).send(body);
    // Given quotes that name a tenant (two lookups in one transaction) with out-of-range versions, at once,
    const refused = await Promise.all(
      [87254033310, 2147483648, 87254033310].map((version) => quote({ usage: {}, version, tenantId: env.api.tenants.a.id })),
    );
    for (const res of refused) {
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'version', message: 'must be at most 2147483647' }]);
    }
    // then the largest allowed version is an honest 404, and every later quote answers as before.
    expect((await quote({ usage: {}, version: 2147483647, tenantId: env.api.tenants.a.id })).status).toBe(404);
    const later = await Promise.all(
      Array.from({ length: 6 }, () => quote({ usage: {}, tenantId: env.api.tenants.a.id }, env.api.tokens.customerA)),
    );
    expect(later.map((r) => [r.status, r.body.total])).toEqual(Array.from({ length: 6 }, () => [200, '95.99']));
  });
});
