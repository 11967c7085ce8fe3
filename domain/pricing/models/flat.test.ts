import { describe, expect, it } from 'vitest';
import { Decimal } from '../../money/index.ts';
import { flatChargeSchema } from '../charge-schema.ts';
import { priceFlat } from './flat.ts';

describe('priceFlat', () => {
  const charge = flatChargeSchema.parse({ meter: 'seats', model: 'flat', amount: '49.99' });

  it.each(['0', '1', '1000000000000000'])('charges the amount whatever the usage (%s)', (quantity) => {
    expect(priceFlat(charge, new Decimal(quantity)).amount.toFixed()).toBe('49.99');
  });
});
