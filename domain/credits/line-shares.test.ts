import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { spreadTax, type ChargedLine } from './line-shares.ts';

const line = (lineId: string, amountMinor: bigint, meter: string | null = null): ChargedLine => ({ lineId, meter, amountMinor });

describe('spreadTax', () => {
  it('gives each line its proportion, the leftover cent to the largest remainder', () => {
    // 10 % of 100 + 200 + 33 = 333 is 33.3 → 33 after rounding; exact shares 10, 20, 3.3
    const lines = spreadTax([line('a', 100n), line('b', 200n), line('c', 33n)], 33n);
    expect(lines.map((l) => l.taxMinor)).toEqual([10n, 20n, 3n]);
    // 1 cent of tax over three equal lines goes to the first (ties go to the earlier line)
    expect(spreadTax([line('a', 1n), line('b', 1n), line('c', 1n)], 1n).map((l) => l.taxMinor)).toEqual([1n, 0n, 0n]);
  });

  it('gives a negative line a negative share', () => {
    const lines = spreadTax([line('fee', 1000n), line('proration', -500n)], 50n);
    expect(lines.map((l) => [l.taxMinor, l.payableMinor])).toEqual([
      [100n, 1100n],
      [-50n, -550n],
    ]);
  });

  it('mirrors a negative subtotal', () => {
    expect(spreadTax([line('a', -300n), line('b', -100n)], -40n).map((l) => l.taxMinor)).toEqual([-30n, -10n]);
  });

  it('refuses tax on lines that sum to zero, and spreads none when there is none', () => {
    expect(() => spreadTax([line('a', 5n), line('b', -5n)], 1n)).toThrow(RangeError);
    expect(spreadTax([line('a', 5n), line('b', -5n)], 0n).map((l) => l.taxMinor)).toEqual([0n, 0n]);
  });

  it('adds up to the tax exactly, each share within one minor unit of its exact proportion', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 100 }),
        (amounts, percent) => {
          const subtotal = amounts.reduce((a, b) => a + b, 0n);
          fc.pre(subtotal !== 0n);
          const tax = (subtotal * BigInt(percent)) / 100n;
          const lines = spreadTax(
            amounts.map((a, i) => line(`l${i}`, a)),
            tax,
          );
          expect(lines.reduce((s, l) => s + l.taxMinor, 0n)).toBe(tax);
          for (const [i, l] of lines.entries()) {
            // |share × subtotal − tax × amount| < |subtotal|
            const error = l.taxMinor * subtotal - tax * amounts[i]!;
            expect(error < 0n ? -error : error).toBeLessThan(subtotal < 0n ? -subtotal : subtotal);
            expect(l.payableMinor).toBe(l.amountMinor + l.taxMinor);
          }
        },
      ),
    );
  });
});
