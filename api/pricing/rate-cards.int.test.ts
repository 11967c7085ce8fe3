import { beforeAll, describe, expect, it } from 'vitest';
import { useTestEnvironment } from '../../test/harness/environment.ts';
import { expectResponseMatchesSpec } from '../../test/harness/openapi-responses.ts';
import { withOperator } from '../../db/postgres/tenant-scope.ts';
import { plansRepository } from '../../db/postgres/plans-repository.ts';
import { metersRepository } from '../../db/postgres/meters-repository.ts';
import { parseMeter } from '../../domain/metering/index.ts';
import type { PlanInput } from '../../domain/pricing/index.ts';

// Rate cards through the API: priceBy is checked against the meter's groupBy, rates' values are
// unique, each refusal names its field and writes nothing; quotes take usage per value.

const env = useTestEnvironment();
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  await metersRepository.insert(
    env.db.pool,
    parseMeter({
      code: 'rc_tokens',
      name: 'Tokens',
      eventType: 'completion',
      aggregation: 'sum',
      valueProperty: 'tokens',
      groupBy: ['model', 'region'],
    }),
  );
  await metersRepository.insert(env.db.pool, parseMeter({ code: 'rc_calls', name: 'Calls', eventType: 'call', aggregation: 'count' }));
});

const rateCard = (fields: object = {}): PlanInput['charges'][number] =>
  ({
    meter: 'rc_tokens',
    model: 'graduated',
    tiers: [
      { upTo: '1000000', unitPrice: '0.00001' },
      { upTo: null, unitPrice: '0.000008' },
    ],
    priceBy: 'model',
    rates: [
      { match: 'large', model: 'per_unit', unitPrice: '0.00003' },
      { match: 'small', model: 'per_unit', unitPrice: '0.000005', minimum: '1' },
    ],
    ...fields,
  }) as PlanInput['charges'][number];
const plan = (code: string, charges: PlanInput['charges']): PlanInput => ({
  code,
  name: code,
  currency: 'USD',
  interval: 'month',
  baseFee: '0',
  // A plain charge first, so the rate card's field names its index.
  charges: charges.some((c) => c.meter === 'rc_calls')
    ? charges
    : [{ meter: 'rc_calls', model: 'per_unit', unitPrice: '0.01' }, ...charges],
});
const createPlan = (body: unknown) =>
  env.api.request
    .post('/api/pricing/plans')
    .set(auth(env.api.tokens.admin))
    .send(body as object);
const stored = (code: string) => withOperator(env.db.pool, (tx) => plansRepository.findByCode(tx, code));

describe('rate card plans', () => {
  it('creates a rate card and shows it as sent', async () => {
    const res = await createPlan({ ...plan('rc-ok', [rateCard()]), visibility: 'public' });
    expect(res.status).toBe(201);
    expectResponseMatchesSpec('POST', '/api/pricing/plans', res);
    expect(res.body.charges[1]).toMatchObject({ priceBy: 'model', rates: [{ match: 'large' }, { match: 'small', minimum: '1' }] });
  });

  it.each<[string, PlanInput['charges'], { field: string; message: string }]>([
    [
      'a priceBy that is not a groupBy property of the meter',
      [rateCard({ priceBy: 'tier' })],
      { field: 'charges.1.priceBy', message: 'must be one of the groupBy properties of meter rc_tokens (model, region)' },
    ],
    [
      'a priceBy on a meter without groupBy properties',
      [
        {
          meter: 'rc_calls',
          model: 'per_unit',
          unitPrice: '1',
          priceBy: 'model',
          rates: [{ match: 'a', model: 'per_unit', unitPrice: '2' }],
        },
      ],
      { field: 'charges.0.priceBy', message: 'must be one of the groupBy properties of meter rc_calls, which has none' },
    ],
    [
      'a priceBy on a meter nobody defined',
      [rateCard({ meter: 'rc_nowhere' })],
      { field: 'charges.1.priceBy', message: 'needs the meter rc_nowhere to be defined, with model among its groupBy properties' },
    ],
    [
      'a repeated match',
      [
        rateCard({
          rates: [
            { match: 'large', model: 'per_unit', unitPrice: '0.00003' },
            { match: 'small', model: 'per_unit', unitPrice: '0.000005' },
            { match: 'large', model: 'volume', tiers: [{ upTo: null, unitPrice: '1' }] },
          ],
        }),
      ],
      { field: 'charges.1.rates.2.match', message: 'repeats rates[0].match: each value has one rate' },
    ],
    [
      'a bad tier inside a rate',
      [rateCard({ rates: [{ match: 'large', model: 'graduated', tiers: [{ upTo: '10', unitPrice: '1' }] }] })],
      { field: 'charges.1.rates.0.tiers.0.upTo', message: 'the last tier must be unbounded (upTo: null)' },
    ],
  ])('refuses %s with 400 naming the field, and writes nothing', async (_, charges, error) => {
    const code = `rc-bad-${error.field.replaceAll('.', '-')}-${JSON.stringify(charges).length}`;
    const res = await createPlan(plan(code, charges));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toContainEqual(error);
    expect(await stored(code)).toBeNull();
  });

  it('checks priceBy on update too', async () => {
    const created = await createPlan(plan('rc-update', []));
    expect(created.status).toBe(201);
    const res = await env.api.request
      .put(`/api/pricing/plans/${created.body.id}`)
      .set(auth(env.api.tokens.admin))
      .send(plan('rc-update', [rateCard({ priceBy: 'zone' })]));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'charges.1.priceBy', message: 'must be one of the groupBy properties of meter rc_tokens (model, region)' },
    ]);
    expect((await stored('rc-update'))!.plan.charges).toHaveLength(1);
  });
});

describe('rate card quotes', () => {
  it('prices usage per value, a plain quantity as the fallback, and refuses per-value usage for a plain charge', async () => {
    const created = await createPlan(plan('rc-quote', [rateCard()]));
    const quote = (usage: object) =>
      env.api.request.post(`/api/pricing/plans/${created.body.id}/quote`).set(auth(env.api.tokens.admin)).send({ usage });
    const res = await quote({ rc_calls: '10', rc_tokens: { large: '1234567', mistral: '1500000' } });
    expect(res.status).toBe(200);
    expectResponseMatchesSpec('POST', '/api/pricing/plans/{id}/quote', res);
    expect(res.body.lines.map((l: { dimensions?: object; amount: string }) => [l.dimensions ?? null, l.amount])).toEqual([
      [null, '0.10'],
      [{ model: 'large' }, '37.04'],
      [{ model: 'small' }, '1.00'], // its minimum, at zero usage
      [{ model: 'mistral' }, '14.00'],
    ]);
    expect(res.body.subtotal).toBe('52.14');

    const plain = await quote({ rc_tokens: '100' });
    expect(plain.body.lines.map((l: { dimensions?: object; amount: string }) => [l.dimensions ?? null, l.amount]).at(-1)).toEqual([
      { model: null },
      '0.00',
    ]);

    const wrong = await quote({ rc_calls: { large: '1' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([
      { field: 'usage.rc_calls', message: 'must be a quantity: the charge of this meter has no rates (no priceBy)' },
    ]);
    const negative = await quote({ rc_tokens: { large: '-1' } });
    expect(negative.status).toBe(400);
    expect(negative.body.errors[0].field).toMatch(/^usage\.rc_tokens/);
  });
});
