import { describe, expect, it } from 'vitest';
import { Decimal } from '../../money/index.ts';
import { volumeChargeSchema } from '../charge-schema.ts';
import { priceVolume } from './volume.ts';

// (0, 100] at 0.10 + 5 · (100, 1000] at 0.05 + 10 · (1000, ∞) at 0.01
const charge = volumeChargeSchema.parse({
  meter: 'tokens',
  model: 'volume',
  tiers: [
    { upTo: '100', unitPrice: '0.10', flatFee: '5' },
    { upTo: '1000', unitPrice: '0.05', flatFee: '10' },
    { upTo: null, unitPrice: '0.01' },
  ],
});

describe('priceVolume', () => {
  it.each([
    ['0', '5', 0], // zero usage falls in the first tier: its flatFee
    ['50', '10', 0], // 50 × 0.10 + 5
    ['100', '15', 0], // exactly at upTo stays in the first tier: 100 × 0.10 + 5
    ['100.000000000001', '15.00000000000005', 1], // 100.000000000001 × 0.05 + 10
    ['100.5', '15.025', 1], // 100.5 × 0.05 + 10
    ['1000', '60', 1], // 1000 × 0.05 + 10
    ['1001', '10.01', 2], // 1001 × 0.01, no flatFee on the last tier
    ['1000000000000000', '10000000000000', 2], // 10^15 × 0.01
  ])('%s units cost %s (tier %i)', (quantity, amount, tier) => {
    const rating = priceVolume(charge, new Decimal(quantity));
    expect(rating.amount.toFixed()).toBe(amount);
    expect(rating.tiers).toHaveLength(1);
    expect(rating.tiers[0]).toMatchObject({ tier, quantity: new Decimal(quantity) });
    expect(rating.tiers[0]!.amount.eq(rating.amount)).toBe(true);
  });
});
