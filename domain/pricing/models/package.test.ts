import { describe, expect, it } from 'vitest';
import { Decimal } from '../../money/index.ts';
import { packageChargeSchema } from '../charge-schema.ts';
import { pricePackage } from './package.ts';

const charge = (packageSize: number | string, packagePrice = '5') =>
  packageChargeSchema.parse({ meter: 'sms', model: 'package', packageSize, packagePrice });

describe('pricePackage', () => {
  it.each([
    [100, '0', '0', '0'], // no usage, no package
    [100, '0.1', '1', '5'], // a fraction of a unit starts a package
    [100, '1', '1', '5'],
    [100, '100', '1', '5'], // exactly full
    [100, '100.5', '2', '10'], // ceil(1.005) = 2
    [100, '200', '2', '10'],
    ['100', '1000000000000000', '10000000000000', '50000000000000'], // 10^15 / 100 = 10^13 packages × 5
    [3, '10', '4', '20'], // ceil(3.33…) = 4
    ['1', '2.000000000001', '3', '15'], // ceil(2.000000000001) = 3
  ])('size %j: %s units → %s packages, %s', (size, quantity, packages, amount) => {
    const rating = pricePackage(charge(size), new Decimal(quantity));
    expect(rating.packages?.toFixed()).toBe(packages);
    expect(rating.amount.toFixed()).toBe(amount);
  });
});
