import { describe, expect, it } from 'vitest';
import { Decimal } from '../../money/index.ts';
import { perUnitChargeSchema } from '../charge-schema.ts';
import { pricePerUnit } from './per-unit.ts';

const charge = (unitPrice: string) => perUnitChargeSchema.parse({ meter: 'calls', model: 'per_unit', unitPrice });

describe('pricePerUnit', () => {
  it.each([
    ['2.5', '0', '0'], // nothing at zero usage
    ['2.5', '3.333', '8.3325'], // 3.333 × 2.5
    ['0.000000000001', '1', '0.000000000001'],
    ['0.000000000001', '1000000000000000', '1000'], // 10^15 × 10^-12
    ['0.000000000001', '123456789.123456789012', '0.000123456789123456789012'], // shifted 12 places
    ['999999.999999999999', '1000000000000000', '999999999999999999000'], // (10^6 − 10^-12) × 10^15 = 10^21 − 10^3
  ])('at %s, %s units cost %s', (unitPrice, quantity, amount) => {
    expect(pricePerUnit(charge(unitPrice), new Decimal(quantity)).amount.toFixed()).toBe(amount);
  });
});
