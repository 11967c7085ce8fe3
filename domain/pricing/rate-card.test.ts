import { describe, expect, it } from 'vitest';
import {
  chargeSchema,
  planSchema,
  pricingFor,
  quotePlan,
  quoteUsageProblem,
  ratedValues,
  type Charge,
  type RateCardCharge,
} from './index.ts';
import { ISSUE_RATE_CARD_TOKENS } from '../../test/harness/billing-plans.ts';

// The issue's example: large and small models at their own unit prices, any other model graduated.
const tokens = chargeSchema.parse(ISSUE_RATE_CARD_TOKENS) as RateCardCharge;
const plan = planSchema.parse({ code: 'ai', name: 'AI', currency: 'USD', interval: 'month', baseFee: '0', charges: [tokens] });

const amounts = (usage: Parameters<typeof quotePlan>[1]) =>
  quotePlan(plan, usage, '0').lines.map((l) => [l.dimensions?.model, l.model, l.quantity, l.amount]);

describe('rate cards: a charge priced by a property of the usage', () => {
  it.each<[string, Parameters<typeof quotePlan>[1], unknown[][]]>([
    [
      'each value at its rate, every rate listed even without usage',
      { tokens: { large: '1234567' } },
      [
        ['large', 'per_unit', '1234567', '37.04'], // 37.03701
        ['small', 'per_unit', '0', '0.00'],
      ],
    ],
    [
      'other values by the fallback, each counting its tiers from zero (pooled: 10 + 600000 × 0.000008 = 14.80)',
      { tokens: { llama: '800000', mistral: '800000' } },
      [
        ['large', 'per_unit', '0', '0.00'],
        ['small', 'per_unit', '0', '0.00'],
        ['llama', 'graduated', '800000', '8.00'],
        ['mistral', 'graduated', '800000', '8.00'],
      ],
    ],
    [
      'a value past the first tier of the fallback: 1000000 × 0.00001 + 500000 × 0.000008',
      { tokens: { small: '2000001', mistral: '1500000' } },
      [
        ['large', 'per_unit', '0', '0.00'],
        ['small', 'per_unit', '2000001', '10.00'], // 10.000005 rounds down
        ['mistral', 'graduated', '1500000', '14.00'],
      ],
    ],
    [
      'a plain quantity is usage without the property, priced by the fallback',
      { tokens: '100' },
      [
        ['large', 'per_unit', '0', '0.00'],
        ['small', 'per_unit', '0', '0.00'],
        [null, 'graduated', '100', '0.00'],
      ],
    ],
  ])('%s', (_, usage, lines) => {
    expect(amounts(usage)).toEqual(lines);
  });

  it('adds the rounded lines to the subtotal, to the cent', () => {
    const quote = quotePlan(plan, { tokens: { large: '1234567', small: '2000001', mistral: '1500000', llama: '1' } }, '0.2');
    // 37.04 + 10.00 + 0.00 (llama: 0.00001) + 14.00 = 61.04; tax 12.208 → 12.21
    expect(quote.lines.map((l) => l.amount)).toEqual(['37.04', '10.00', '0.00', '14.00']);
    expect([quote.subtotal, quote.tax, quote.total]).toEqual(['61.04', '12.21', '73.25']);
  });

  const rated = (rate: object, quantity: string) => {
    const charge = chargeSchema.parse({ meter: 'm', model: 'per_unit', unitPrice: '1', priceBy: 'p', rates: [{ match: 'v', ...rate }] });
    const p = planSchema.parse({ code: 'x', name: 'X', currency: 'USD', interval: 'month', baseFee: '0', charges: [charge] });
    return quotePlan(p, { m: { v: quantity } }, '0').lines[0]!;
  };
  it.each<[string, object, string, string]>([
    ['per_unit with free units', { model: 'per_unit', unitPrice: '0.5', freeUnits: '10' }, '15', '2.50'],
    [
      'graduated with a tier fee',
      {
        model: 'graduated',
        tiers: [
          { upTo: '10', unitPrice: '1' },
          { upTo: null, unitPrice: '0.5', flatFee: '3' },
        ],
      },
      '14',
      '15.00',
    ],
    [
      'volume',
      {
        model: 'volume',
        tiers: [
          { upTo: '10', unitPrice: '1' },
          { upTo: null, unitPrice: '0.25' },
        ],
      },
      '14',
      '3.50',
    ],
    ['package (a started package is whole)', { model: 'package', packageSize: 100, packagePrice: '4' }, '101', '8.00'],
    ['a minimum', { model: 'per_unit', unitPrice: '0.01', minimum: '5' }, '3', '5.00'],
    ['a minimum at zero usage', { model: 'per_unit', unitPrice: '0.01', minimum: '5' }, '0', '5.00'],
  ])('prices a rate with %s', (_, rate, quantity, amount) => {
    const line = rated(rate, quantity);
    expect([line.dimensions, line.amount]).toEqual([{ p: 'v' }, amount]);
  });

  it('resolves the pricing of a value: its rate, else the charge itself without priceBy or rates', () => {
    expect(pricingFor(tokens, 'large')).toEqual({ meter: 'tokens', model: 'per_unit', unitPrice: '0.00003' });
    const fallback: Charge = { meter: 'tokens', model: 'graduated', tiers: tokens.model === 'graduated' ? tokens.tiers : [] };
    expect(pricingFor(tokens, 'LARGE')).toEqual(fallback); // values match exactly, case included
    expect(pricingFor(tokens, null)).toEqual(fallback);
  });

  it('lists the rates first, then other values in code-unit order, then usage without the property', () => {
    expect(ratedValues(tokens, [null, 'b', 'small', 'B', 'a', 'b'])).toEqual(['large', 'small', 'B', 'a', 'b', null]);
  });

  it('refuses per-value usage for a charge that has no rates, naming the field', () => {
    const plain = planSchema.parse({
      code: 'y',
      name: 'Y',
      currency: 'USD',
      interval: 'month',
      baseFee: '0',
      charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '1' }],
    });
    expect(quoteUsageProblem(plain, { calls: { a: '1' } })).toEqual({
      field: 'usage.calls',
      message: 'must be a quantity: the charge of this meter has no rates (no priceBy)',
    });
    expect(quoteUsageProblem(plan, { tokens: { a: '1' } })).toBeNull();
  });
});

describe('the rate card schema', () => {
  const issues = (input: unknown) => {
    const result = chargeSchema.safeParse(input);
    return result.success ? [] : result.error.issues.map((i) => [i.path.join('.'), i.message]);
  };
  const base = { meter: 'tokens', model: 'per_unit', unitPrice: '1' };
  it.each<[string, object, string[][]]>([
    [
      'a repeated match',
      {
        ...base,
        priceBy: 'model',
        rates: [
          { match: 'a', model: 'per_unit', unitPrice: '1' },
          { match: 'b', model: 'per_unit', unitPrice: '1' },
          { match: 'a', model: 'per_unit', unitPrice: '2' },
        ],
      },
      [['rates.2.match', 'repeats rates[0].match: each value has one rate']],
    ],
    ['priceBy without rates', { ...base, priceBy: 'model' }, [['rates', 'is required with priceBy: the rates of the values priced apart']]],
    [
      'rates without priceBy',
      { ...base, rates: [{ match: 'a', model: 'per_unit', unitPrice: '1' }] },
      [['priceBy', 'is required with rates: the property whose values the rates match']],
    ],
    ['no rates', { ...base, priceBy: 'model', rates: [] }, [['rates', 'must have at least one rate']]],
    [
      'a flat rate',
      { ...base, priceBy: 'model', rates: [{ match: 'a', model: 'flat', amount: '1' }] },
      [['rates.0.model', 'model must be one of per_unit, graduated, volume, package']],
    ],
    [
      'a rate with a field of another model',
      { ...base, priceBy: 'model', rates: [{ match: 'a', model: 'per_unit', unitPrice: '1', tiers: [] }] },
      [['rates.0', 'tiers not used by the per_unit model']],
    ],
    [
      'a rate without a match',
      { ...base, priceBy: 'model', rates: [{ model: 'per_unit', unitPrice: '1' }] },
      [['rates.0.match', 'is required: the value of the priceBy property this rate prices']],
    ],
    [
      'a rate with a bad price',
      { ...base, priceBy: 'model', rates: [{ match: 'a', model: 'per_unit', unitPrice: '-1' }] },
      [['rates.0.unitPrice', 'must not be negative']],
    ],
    [
      'priceBy on a flat charge',
      { meter: 'seats', model: 'flat', amount: '1', priceBy: 'model' },
      [['', 'priceBy not used by the flat model']],
    ],
  ])('refuses %s, naming the field', (_, input, expected) => {
    expect(issues(input)).toEqual(expected);
  });
});
