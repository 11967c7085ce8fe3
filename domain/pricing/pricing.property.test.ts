import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, minorUnitDigits } from '../money/index.ts';
import { decimalText, positiveDecimalText } from '../../test/harness/arbitraries.ts';
import { chargeSchema, graduatedChargeSchema, planSchema, priceGraduated, priceVolume, quotePlan, volumeChargeSchema } from './index.ts';

// Ascending upTo values and unit prices that never rise from one tier to the next; no flat fees.
const fallingTiers = fc
  .tuple(
    fc.array(fc.tuple(positiveDecimalText({ max: 10n ** 8n, maxScale: 4 }), decimalText({ max: 10n ** 6n, maxScale: 6 })), {
      minLength: 1,
      maxLength: 5,
    }),
    decimalText({ max: 10n ** 6n, maxScale: 6 }),
  )
  .map(([steps, lastPrice]) => {
    let upTo = new Decimal(0);
    // Sorting prices from high to low makes them fall with the tiers.
    const prices = [...steps.map(([, price]) => price), lastPrice].sort((a, b) => new Decimal(b).comparedTo(a));
    const bounded = steps.map(([step], index) => {
      upTo = upTo.plus(step);
      return { upTo: upTo.toFixed(), unitPrice: prices[index]! };
    });
    return [...bounded, { upTo: null, unitPrice: prices.at(-1)! }];
  });

describe('graduated ≥ volume when unit prices fall with the tiers', () => {
  it('holds for any quantity', () => {
    fc.assert(
      fc.property(fallingTiers, decimalText({ max: 10n ** 15n }), (tiers, quantity) => {
        const graduated = priceGraduated(graduatedChargeSchema.parse({ meter: 'm', model: 'graduated', tiers }), new Decimal(quantity));
        const volume = priceVolume(volumeChargeSchema.parse({ meter: 'm', model: 'volume', tiers }), new Decimal(quantity));
        expect(graduated.amount.gte(volume.amount)).toBe(true);
      }),
    );
  });
});

const price = decimalText({ max: 10n ** 8n, maxScale: 6 });
const anyCharge = fc.oneof(
  fc.record({ model: fc.constant('flat'), amount: price }),
  fc.record({ model: fc.constant('per_unit'), unitPrice: price, freeUnits: price }),
  fallingTiers.map((tiers) => ({ model: 'graduated', tiers })),
  fallingTiers.map((tiers) => ({ model: 'volume', tiers })),
  fc.record({ model: fc.constant('package'), packageSize: fc.integer({ min: 1, max: 1000 }), packagePrice: price }),
);

describe('a quote always adds up', () => {
  it('base fee + the rounded lines = subtotal = total − tax, exactly, in the currency digits', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('USD', 'JPY', 'BHD', 'EUR'),
        price,
        fc.array(fc.tuple(anyCharge, decimalText({ max: 10n ** 15n })), { maxLength: 6 }),
        decimalText({ max: 10n ** 4n, maxScale: 4 }).filter((rate) => new Decimal(rate).lte(1)),
        (currency, baseFee, chargesWithUsage, taxRate) => {
          const charges = chargesWithUsage.map(([charge], index) => chargeSchema.parse({ ...charge, meter: `m${index}` }));
          const usage = Object.fromEntries(chargesWithUsage.map(([, quantity], index) => [`m${index}`, quantity]));
          const quote = quotePlan(
            planSchema.parse({ code: 'p', name: 'P', currency, interval: 'month', baseFee, charges }),
            usage,
            taxRate,
          );

          const lines = quote.lines.reduce((sum, line) => sum.plus(line.amount), new Decimal(quote.baseFee));
          expect(lines.eq(quote.subtotal)).toBe(true);
          expect(new Decimal(quote.total).minus(quote.tax).eq(lines)).toBe(true);
          const digits = minorUnitDigits(currency);
          for (const amount of [quote.baseFee, quote.subtotal, quote.tax, quote.total, ...quote.lines.map((line) => line.amount)]) {
            expect(amount.split('.')[1]?.length ?? 0).toBe(digits);
          }
        },
      ),
    );
  });
});
