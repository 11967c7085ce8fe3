import { describe, expect, it } from 'vitest';
import { Decimal } from '../money/index.ts';
import { chargeSchema, rateCharge } from './index.ts';
import type { Charge } from './index.ts';

const tiers = [
  { upTo: '100', unitPrice: '0.10', flatFee: '5' },
  { upTo: '1000', unitPrice: '0.05', flatFee: '10' },
  { upTo: null, unitPrice: '0.01' },
];
const charge = (fields: object): Charge => chargeSchema.parse({ meter: 'm', ...fields });

describe('rateCharge: free units', () => {
  it.each<[string, object, string, { free: string; billable: string; amount: string }]>([
    // 150 − 100 free = 50 × 0.5
    [
      'per_unit, usage above the free units',
      { model: 'per_unit', unitPrice: '0.5', freeUnits: '100' },
      '150',
      { free: '100', billable: '50', amount: '25' },
    ],
    [
      'per_unit, free units bigger than usage',
      { model: 'per_unit', unitPrice: '0.5', freeUnits: '100' },
      '30',
      { free: '30', billable: '0', amount: '0' },
    ],
    // billable 0: first tier's flatFee, as at zero usage
    [
      'graduated, free units bigger than usage',
      { model: 'graduated', tiers, freeUnits: '1000' },
      '500',
      { free: '500', billable: '0', amount: '5' },
    ],
    [
      'volume, free units bigger than usage',
      { model: 'volume', tiers, freeUnits: '1000' },
      '500',
      { free: '500', billable: '0', amount: '5' },
    ],
    // billable 150 priced from zero: (100 × 0.10 + 5) + (50 × 0.05 + 10) = 15 + 12.5
    [
      'graduated, the rest priced as the whole usage',
      { model: 'graduated', tiers, freeUnits: '100' },
      '250',
      { free: '100', billable: '150', amount: '27.5' },
    ],
    // billable 150 falls in the second tier: 150 × 0.05 + 10, not the tier of 250
    [
      'volume, the rest priced as the whole usage',
      { model: 'volume', tiers, freeUnits: '100' },
      '250',
      { free: '100', billable: '150', amount: '17.5' },
    ],
    // 150 − 50 = 100 → exactly one package of 100
    [
      'package',
      { model: 'package', packageSize: 100, packagePrice: '5', freeUnits: '50' },
      '150',
      { free: '50', billable: '100', amount: '5' },
    ],
    // 0.5 free leaves 0.25: one started package
    [
      'package, fractional rest',
      { model: 'package', packageSize: 100, packagePrice: '5', freeUnits: '0.5' },
      '0.75',
      { free: '0.5', billable: '0.25', amount: '5' },
    ],
  ])('%s', (_name, fields, usage, expected) => {
    const rating = rateCharge(charge(fields), usage);
    expect({ free: rating.freeUnits.toFixed(), billable: rating.billableQuantity.toFixed(), amount: rating.amount.toFixed() }).toEqual(
      expected,
    );
    expect(rating.quantity.toFixed()).toBe(usage);
  });
});

describe('rateCharge: minimum', () => {
  it.each<[string, object, string, { model: string; topUp: string; amount: string }]>([
    // 10 × 0.5 = 5, lifted to 20
    ['below the minimum', { model: 'per_unit', unitPrice: '0.5', minimum: '20' }, '10', { model: '5', topUp: '15', amount: '20' }],
    // 40 × 0.5 = 20, exactly the minimum
    ['at the minimum', { model: 'per_unit', unitPrice: '0.5', minimum: '20' }, '40', { model: '20', topUp: '0', amount: '20' }],
    // 100 × 0.5 = 50
    ['above the minimum', { model: 'per_unit', unitPrice: '0.5', minimum: '20' }, '100', { model: '50', topUp: '0', amount: '50' }],
    [
      'at zero usage the minimum still applies',
      { model: 'package', packageSize: 10, packagePrice: '3', minimum: '1.5' },
      '0',
      { model: '0', topUp: '1.5', amount: '1.5' },
    ],
    // free units first, then the minimum: 0 billable → first tier's 5, lifted to 7.25
    [
      'after free units',
      { model: 'graduated', tiers, freeUnits: '10', minimum: '7.25' },
      '10',
      { model: '5', topUp: '2.25', amount: '7.25' },
    ],
    ['on a flat charge', { model: 'flat', amount: '10', minimum: '15' }, '0', { model: '10', topUp: '5', amount: '15' }],
  ])('%s', (_name, fields, usage, expected) => {
    const rating = rateCharge(charge(fields), usage);
    expect({ model: rating.modelAmount.toFixed(), topUp: rating.minimumTopUp.toFixed(), amount: rating.amount.toFixed() }).toEqual(
      expected,
    );
  });
});

describe('rateCharge: usage', () => {
  const perUnit = charge({ model: 'per_unit', unitPrice: '1' });

  it('takes a Decimal or a decimal string', () => {
    expect(rateCharge(perUnit, new Decimal('2.5')).amount.toFixed()).toBe('2.5');
    expect(rateCharge(perUnit, '2.5').amount.toFixed()).toBe('2.5');
  });

  it('refuses negative usage and badly formed strings', () => {
    expect(() => rateCharge(perUnit, new Decimal('-1'))).toThrow('must not be negative');
    expect(() => rateCharge(perUnit, '-1')).toThrow('must not be negative');
    expect(() => rateCharge(perUnit, '1e3')).toThrow('no exponent');
  });

  it('ignores usage on a flat charge', () => {
    const rating = rateCharge(charge({ model: 'flat', amount: '49.99' }), '1000');
    expect(rating.amount.toFixed()).toBe('49.99');
    expect(rating.freeUnits.toFixed()).toBe('0');
  });
});
