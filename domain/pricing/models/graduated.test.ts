import { describe, expect, it } from 'vitest';
import { Decimal } from '../../money/index.ts';
import { graduatedChargeSchema } from '../charge-schema.ts';
import { priceGraduated } from './graduated.ts';

// (0, 100] at 0.10 + 5 · (100, 1000] at 0.05 + 10 · (1000, ∞) at 0.01
const charge = graduatedChargeSchema.parse({
  meter: 'tokens',
  model: 'graduated',
  tiers: [
    { upTo: '100', unitPrice: '0.10', flatFee: '5' },
    { upTo: '1000', unitPrice: '0.05', flatFee: '10' },
    { upTo: null, unitPrice: '0.01' },
  ],
});

describe('priceGraduated', () => {
  it.each([
    ['0', '5', ['0']], // first tier's flatFee only
    ['50', '10', ['50']], // 50 × 0.10 + 5
    ['100', '15', ['100']], // exactly at upTo: 100 × 0.10 + 5, second tier not reached
    ['100.000000000001', '25.00000000000005', ['100', '0.000000000001']], // 15 + (0.000000000001 × 0.05 + 10)
    ['100.5', '25.025', ['100', '0.5']], // 15 + (0.5 × 0.05 + 10)
    ['1000', '70', ['100', '900']], // 15 + (900 × 0.05 + 10)
    ['1001', '70.01', ['100', '900', '1']], // 70 + 1 × 0.01
    ['1000000000000000', '10000000000060', ['100', '900', '999999999999000']], // 70 + (10^15 − 1000) × 0.01
  ])('%s units cost %s', (quantity, amount, perTier) => {
    const rating = priceGraduated(charge, new Decimal(quantity));
    expect(rating.amount.toFixed()).toBe(amount);
    expect(rating.tiers.map((line) => line.quantity.toFixed())).toEqual(perTier);
    expect(rating.tiers.reduce((sum, line) => sum.plus(line.amount), new Decimal(0)).eq(rating.amount)).toBe(true);
  });

  it('breaks the amount down per tier for the invoice line', () => {
    const rating = priceGraduated(charge, new Decimal('100.5'));
    expect(
      rating.tiers.map((line) => ({
        ...line,
        from: line.from.toFixed(),
        upTo: line.upTo?.toFixed() ?? null,
        quantity: line.quantity.toFixed(),
        unitPrice: line.unitPrice.toFixed(),
        flatFee: line.flatFee.toFixed(),
        amount: line.amount.toFixed(),
      })),
    ).toEqual([
      { tier: 0, from: '0', upTo: '100', quantity: '100', unitPrice: '0.1', flatFee: '5', amount: '15' },
      { tier: 1, from: '100', upTo: '1000', quantity: '0.5', unitPrice: '0.05', flatFee: '10', amount: '10.025' },
    ]);
  });

  it('prices a tiny unit price without loss', () => {
    const tiny = graduatedChargeSchema.parse({
      meter: 'bytes',
      model: 'graduated',
      tiers: [
        { upTo: '1000000000000000', unitPrice: '0.000000000001' },
        { upTo: null, unitPrice: '0.000000000002' },
      ],
    });
    // 10^15 × 10^-12 = 1000; then 1 × 2·10^-12
    expect(priceGraduated(tiny, new Decimal('1000000000000001')).amount.toFixed()).toBe('1000.000000000002');
  });
});
