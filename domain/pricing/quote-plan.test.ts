import { describe, expect, it } from 'vitest';
import { Decimal } from '../money/index.ts';
import { planSchema, quotePlan, quoteRangeProblem } from './index.ts';

const plan = (fields: object) => planSchema.parse({ code: 'p', name: 'P', interval: 'month', charges: [], ...fields });

describe('quotePlan', () => {
  it('rounds each line once, half-up, and adds tax on the subtotal (USD)', () => {
    const usd = plan({
      currency: 'USD',
      baseFee: '29.999',
      charges: [
        { meter: 'calls', model: 'per_unit', unitPrice: '0.0015' },
        {
          meter: 'tokens',
          model: 'graduated',
          tiers: [
            { upTo: '100', unitPrice: '0.10', flatFee: '5' },
            { upTo: null, unitPrice: '0.05', flatFee: '10' },
          ],
        },
        { meter: 'seats', model: 'flat', amount: '10' },
      ],
    });
    // base 29.999 → 30.00; calls 3333 × 0.0015 = 4.9995 → 5.00; tokens (100 × 0.10 + 5) + (0.5 × 0.05 + 10)
    // = 25.025 → 25.03 (a tie, up); seats 10.00. subtotal 30 + 5 + 25.03 + 10 = 70.03;
    // tax 70.03 × 0.2 = 14.006 → 14.01; total 84.04.
    expect(quotePlan(usd, { calls: '3333', tokens: '100.5', seats: '3' }, '0.2')).toEqual({
      currency: 'USD',
      baseFee: '30.00',
      lines: [
        { meter: 'calls', model: 'per_unit', quantity: '3333', amount: '5.00' },
        {
          meter: 'tokens',
          model: 'graduated',
          quantity: '100.5',
          amount: '25.03',
          tiers: [
            { tier: 0, upTo: '100', quantity: '100', unitPrice: '0.1', flatFee: '5', amount: '15' },
            { tier: 1, upTo: null, quantity: '0.5', unitPrice: '0.05', flatFee: '10', amount: '10.025' },
          ],
        },
        { meter: 'seats', model: 'flat', quantity: '3', amount: '10.00' },
      ],
      subtotal: '70.03',
      tax: '14.01',
      total: '84.04',
    });
  });

  it('uses no decimals for JPY', () => {
    const jpy = plan({
      currency: 'JPY',
      baseFee: '1000',
      charges: [
        { meter: 'calls', model: 'per_unit', unitPrice: '0.5' },
        { meter: 'sms', model: 'package', packageSize: 10, packagePrice: '99.5' },
      ],
    });
    // calls 3 × 0.5 = 1.5 → 2; sms ceil(25/10) = 3 × 99.5 = 298.5 → 299; subtotal 1000 + 2 + 299 = 1301;
    // tax 130.1 → 130; total 1431.
    expect(quotePlan(jpy, { calls: '3', sms: '25' }, '0.1')).toMatchObject({
      baseFee: '1000',
      lines: [{ amount: '2' }, { amount: '299' }],
      subtotal: '1301',
      tax: '130',
      total: '1431',
    });
  });

  it('uses three decimals for BHD', () => {
    const bhd = plan({ currency: 'BHD', baseFee: '5.0005', charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.0001' }] });
    // base 5.0005 → 5.001 (tie, up); calls 12345 × 0.0001 = 1.2345 → 1.235 (tie, up);
    // subtotal 6.236; tax 0.6236 → 0.624; total 6.860.
    expect(quotePlan(bhd, { calls: '12345' }, '0.1')).toMatchObject({
      baseFee: '5.001',
      lines: [{ amount: '1.235' }],
      subtotal: '6.236',
      tax: '0.624',
      total: '6.860',
    });
  });

  it('counts a meter missing from usage as zero and ignores usage without a charge', () => {
    const p = plan({
      currency: 'USD',
      baseFee: '0',
      charges: [
        {
          meter: 'tokens',
          model: 'volume',
          tiers: [
            { upTo: '10', unitPrice: '1', flatFee: '2.5' },
            { upTo: null, unitPrice: '0.5' },
          ],
        },
      ],
    });
    // zero usage in the first tier: 0 × 1 + 2.5
    expect(quotePlan(p, { other: '999' }, '0')).toEqual({
      currency: 'USD',
      baseFee: '0.00',
      lines: [
        {
          meter: 'tokens',
          model: 'volume',
          quantity: '0',
          amount: '2.50',
          tiers: [{ tier: 0, upTo: '10', quantity: '0', unitPrice: '1', flatFee: '2.5', amount: '2.5' }],
        },
      ],
      subtotal: '2.50',
      tax: '0.00',
      total: '2.50',
    });
  });

  it('takes Decimal usage and a Decimal tax rate', () => {
    const p = plan({ currency: 'USD', baseFee: '10', charges: [{ meter: 'gb', model: 'per_unit', unitPrice: '0.1' }] });
    // 10 + 12.34 × 0.1 = 1.234 → 1.23 → subtotal 11.23; tax × 0.0825 = 0.926475 → 0.93
    expect(quotePlan(p, { gb: new Decimal('12.34') }, new Decimal('0.0825'))).toMatchObject({
      subtotal: '11.23',
      tax: '0.93',
      total: '12.16',
    });
  });

  it('refuses a tax rate outside 0..1', () => {
    const p = plan({ currency: 'USD', baseFee: '10' });
    expect(() => quotePlan(p, {}, '-0.1')).toThrow('taxRate');
    expect(() => quotePlan(p, {}, '1.5')).toThrow('taxRate');
  });

  it('does not read inherited properties as usage', () => {
    const p = plan({ currency: 'USD', baseFee: '0', charges: [{ meter: 'toString', model: 'per_unit', unitPrice: '1' }] });
    expect(quotePlan(p, {}, '0').lines[0]?.quantity).toBe('0');
  });
});

describe('quoteRangeProblem', () => {
  const perUnit = plan({
    currency: 'USD',
    baseFee: '10',
    charges: [
      { meter: 'calls', model: 'per_unit', unitPrice: '1000' },
      { meter: 'seats', model: 'flat', amount: '5' },
    ],
  });

  it('accepts a quote whose total is exactly the most an invoice holds', () => {
    // 10 + 5 + 92233720368547.74307 × 1000 = 92233720368547758.07 (no tax)
    const quote = quotePlan(perUnit, { calls: '92233720368547.74307' }, '0');
    expect(quote.total).toBe('92233720368547758.07');
    expect(quoteRangeProblem(quote)).toBeNull();
  });

  it('names the meter whose line cannot be stored', () => {
    const quote = quotePlan(perUnit, { calls: '999999999999999.999999999999' }, '0');
    expect(quoteRangeProblem(quote)).toEqual({
      meter: 'calls',
      message: 'the calls charge of 1000000000000000000.00 USD is more than an invoice can hold (at most 92233720368547758.07 USD)',
    });
  });

  it('names no meter when only the total with tax is too large', () => {
    const quote = quotePlan(perUnit, { calls: '92233720368547.74307' }, '0.01');
    expect(quoteRangeProblem(quote)).toEqual({
      meter: null,
      message: expect.stringMatching(/^the total of 93156057572233235\.65 USD is more than an invoice can hold/),
    });
  });
});
