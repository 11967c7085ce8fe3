import { describe, expect, it } from 'vitest';
import { chargeSchema } from './index.ts';

function issues(input: unknown): Array<[string, string]> {
  const result = chargeSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => [issue.path.join('.'), issue.message]);
}

const tier = (upTo: string | null, unitPrice = '1') => ({ upTo, unitPrice });

describe('chargeSchema', () => {
  it.each([
    { meter: 'seats', model: 'flat', amount: '10', minimum: '12' },
    { meter: 'calls', model: 'per_unit', unitPrice: '0.000000000001', freeUnits: '1000' },
    { meter: 'tokens', model: 'graduated', tiers: [tier('100'), { upTo: null, unitPrice: '0', flatFee: '2' }] },
    { meter: 'tokens', model: 'volume', tiers: [tier(null)] },
    { meter: 'sms', model: 'package', packageSize: 100, packagePrice: '5' },
    { meter: 'sms', model: 'package', packageSize: '100', packagePrice: '5' },
  ])('accepts %j', (input) => {
    expect(issues(input)).toEqual([]);
  });

  it.each<[string, unknown, Array<[string, string]>]>([
    ['an unknown model', { meter: 'm', model: 'tiered' }, [['model', 'model must be one of flat, per_unit, graduated, volume, package']]],
    ['a missing meter', { model: 'flat', amount: '1' }, [['meter', 'is required: the code of the meter this charge rates']]],
    ['a missing model field', { meter: 'm', model: 'per_unit' }, [['unitPrice', 'is required']]],
    [
      'a field of another model',
      { meter: 'm', model: 'per_unit', unitPrice: '1', tiers: [] },
      [['', 'tiers not used by the per_unit model']],
    ],
    [
      'free units on a flat charge',
      { meter: 'm', model: 'flat', amount: '1', freeUnits: '5' },
      [['', 'freeUnits not used by the flat model']],
    ],
    ['a negative price', { meter: 'm', model: 'per_unit', unitPrice: '-0.01' }, [['unitPrice', 'must not be negative']]],
    [
      'a price as a JSON number',
      { meter: 'm', model: 'flat', amount: 10 },
      [['amount', 'must be a decimal string (a JSON string such as "12.5", not a number)']],
    ],
    [
      '13 fractional digits',
      { meter: 'm', model: 'per_unit', unitPrice: '0.0000000000001' },
      [['unitPrice', 'must have at most 12 digits after the decimal point']],
    ],
    [
      'a fractional package size',
      { meter: 'm', model: 'package', packageSize: 2.5, packagePrice: '1' },
      [['packageSize', 'must be a positive whole number, as a JSON number or a numeric string such as "100"']],
    ],
    [
      'a package size as a string with a fraction',
      { meter: 'm', model: 'package', packageSize: '2.5', packagePrice: '1' },
      [['packageSize', 'must be a positive whole number, as a JSON number or a numeric string such as "100"']],
    ],
    [
      'a negative package size',
      { meter: 'm', model: 'package', packageSize: -3, packagePrice: '1' },
      [['packageSize', 'must be a positive whole number, as a JSON number or a numeric string such as "100"']],
    ],
    [
      'a zero package size',
      { meter: 'm', model: 'package', packageSize: '0', packagePrice: '1' },
      [['packageSize', 'must be a positive whole number, as a JSON number or a numeric string such as "100"']],
    ],
    ['no tiers', { meter: 'm', model: 'volume', tiers: [] }, [['tiers', 'must have at least one tier']]],
    ['missing tiers', { meter: 'm', model: 'graduated' }, [['tiers', 'is required for this model']]],
  ])('refuses %s', (_name, input, expected) => {
    expect(issues(input)).toEqual(expected);
  });

  describe('tiers', () => {
    it.each<[string, unknown[], Array<[string, string]>]>([
      ['a bounded last tier', [tier('10'), tier('20')], [['tiers.1.upTo', 'the last tier must be unbounded (upTo: null)']]],
      [
        'an unbounded middle tier',
        [tier('10'), tier(null), tier(null)],
        [['tiers.1.upTo', 'only the last tier may be unbounded (upTo: null)']],
      ],
      [
        'tiers out of order',
        [tier('10'), tier('20'), tier('15'), tier(null)],
        [['tiers.2.upTo', "must be greater than the previous tier's upTo (20)"]],
      ],
      ['an equal upTo', [tier('10'), tier('10.0'), tier(null)], [['tiers.1.upTo', "must be greater than the previous tier's upTo (10)"]]],
      ['an upTo of zero', [tier('0'), tier(null)], [['tiers.0.upTo', 'must be greater than 0']]],
      ['a negative flat fee', [{ upTo: null, unitPrice: '1', flatFee: '-1' }], [['tiers.0.flatFee', 'must not be negative']]],
      ['a missing upTo', [{ unitPrice: '1' }], [['tiers.0.upTo', 'is required']]],
      [
        'several faults at once, each with its index',
        [tier('10'), { upTo: '5', unitPrice: '-1' }, tier(null), tier('100')],
        [
          ['tiers.1.unitPrice', 'must not be negative'],
          ['tiers.1.upTo', "must be greater than the previous tier's upTo (10)"],
          ['tiers.2.upTo', 'only the last tier may be unbounded (upTo: null)'],
          ['tiers.3.upTo', 'the last tier must be unbounded (upTo: null)'],
        ],
      ],
    ])('refuses %s', (_name, tiers, expected) => {
      expect(issues({ meter: 'm', model: 'graduated', tiers })).toEqual(expected);
    });
  });
});
