import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { planSchema } from './index.ts';

const valid = {
  code: 'pro-2024',
  name: 'Pro',
  currency: 'USD',
  interval: 'month',
  baseFee: '29',
  charges: [{ meter: 'tokens', model: 'per_unit', unitPrice: '0.001' }],
};

describe('planSchema', () => {
  it('fills the defaults', () => {
    expect(planSchema.parse(valid)).toEqual({ ...valid, intervalCount: 1, trialDays: 0, gracePeriodSeconds: 3600, lateUsageDays: 35 });
  });

  it('takes lateUsageDays from 0 to 400 whole days, and refuses anything else naming the field', () => {
    for (const ok of [0, 1, 400]) expect(planSchema.parse({ ...valid, lateUsageDays: ok }).lateUsageDays).toBe(ok);
    for (const bad of [401, -1, 0.5, '35', null, Number.NaN, Number.POSITIVE_INFINITY]) {
      const result = planSchema.safeParse({ ...valid, lateUsageDays: bad });
      expect(result.success).toBe(false);
      expect(result.error!.issues.map((i) => i.path.join('.'))).toEqual(['lateUsageDays']);
    }
  });

  it('names the path of a bad tier, charge index and tier index included', () => {
    const result = planSchema.safeParse({
      ...valid,
      charges: [
        valid.charges[0],
        {
          meter: 'images',
          model: 'graduated',
          tiers: [
            { upTo: '10', unitPrice: '1' },
            { upTo: '20', unitPrice: '1' },
            { upTo: '5', unitPrice: '1' },
            { upTo: null, unitPrice: '1' },
          ],
        },
      ],
    });
    expect(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['charges.1.tiers.2.upTo', "must be greater than the previous tier's upTo (20)"],
    ]);
  });

  it.each<[string, object, string]>([
    ['a lower-case currency', { currency: 'usd' }, 'currency'],
    ['an unknown interval', { interval: 'quarter' }, 'interval'],
    ['a zero intervalCount', { intervalCount: 0 }, 'intervalCount'],
    ['a negative trial', { trialDays: -1 }, 'trialDays'],
    ['a fractional grace period', { gracePeriodSeconds: 1.5 }, 'gracePeriodSeconds'],
    ['a base fee as a number', { baseFee: 29 }, 'baseFee'],
    ['a code with spaces', { code: 'pro plan' }, 'code'],
    ['an unknown field', { trialDay: 14 }, ''],
    ['missing charges', { charges: undefined }, 'charges'],
    [
      'a meter charged twice',
      {
        charges: [
          { meter: 'tokens', model: 'per_unit', unitPrice: '1' },
          { meter: 'calls', model: 'per_unit', unitPrice: '1' },
          { meter: 'tokens', model: 'per_unit', unitPrice: '2' },
        ],
      },
      'charges.2.meter',
    ],
  ])('refuses %s', (_name, change, path) => {
    const result = planSchema.safeParse({ ...valid, ...change });
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual([path]);
  });

  it('renders to JSON Schema for the OpenAPI document', () => {
    const schema = z.toJSONSchema(planSchema, { io: 'input' });
    expect(schema).toMatchObject({ type: 'object', required: expect.arrayContaining(['code', 'currency', 'charges']) });
  });
});
