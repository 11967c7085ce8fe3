import { describe, expect, it } from 'vitest';
import { planSchema } from '../pricing/index.ts';
import type { MeteredUsage } from './invoice-lines.ts';
import { estimatePeriodSoFar, withMoreUsage } from './period-estimate.ts';
import { ISSUE_RATE_CARD_TOKENS } from '../../test/harness/billing-plans.ts';

const plan = planSchema.parse({
  code: 'p',
  name: 'P',
  currency: 'USD',
  interval: 'month',
  baseFee: '10.00',
  charges: [
    { meter: 'calls', model: 'per_unit', unitPrice: '0.5' },
    { meter: 'refunds', model: 'per_unit', unitPrice: '1' },
  ],
});
/** A read of `quantity` (the event count plays no part in pricing). */
const read = (quantity: string): MeteredUsage => ({ quantity, eventCount: '1' });
const periodStart = new Date('2026-11-01T00:00:00Z');
const periodEnd = new Date('2026-12-01T00:00:00Z');

describe('estimatePeriodSoFar', () => {
  it('reads each charged meter from the period start to `at` and prices it with the plan and tax', async () => {
    const reads: string[] = [];
    const at = new Date('2026-11-10T00:00:00Z');
    const estimate = await estimatePeriodSoFar({ plan, periodStart, periodEnd, at, taxRate: '0.2' }, async (meter, from, to) => {
      reads.push(`${meter} ${from.toISOString()} ${to.toISOString()}`);
      return read(meter === 'calls' ? '7' : '0');
    });
    expect(reads).toEqual([
      'calls 2026-11-01T00:00:00.000Z 2026-11-10T00:00:00.000Z',
      'refunds 2026-11-01T00:00:00.000Z 2026-11-10T00:00:00.000Z',
    ]);
    expect(estimate).toMatchObject({
      from: periodStart,
      to: at,
      usage: { calls: '7', refunds: '0' },
      quote: { subtotal: '13.50', tax: '2.70', total: '16.20' },
    });
  });

  it('stops the window at the period end when `at` is later', async () => {
    const estimate = await estimatePeriodSoFar(
      { plan, periodStart, periodEnd, at: new Date('2027-01-01T00:00:00Z'), taxRate: '0' },
      async () => read('1'),
    );
    expect(estimate?.to).toEqual(periodEnd);
  });

  it('counts a negative aggregate (refunds) as zero usage', async () => {
    const estimate = await estimatePeriodSoFar({ plan, periodStart, periodEnd, at: periodEnd, taxRate: '0' }, async (meter) =>
      read(meter === 'refunds' ? '-5' : '0'),
    );
    expect(estimate?.usage.refunds).toBe('0');
    expect(estimate?.quote.total).toBe('10.00');
  });

  it('is null when any read failed, even after others succeeded: a partial estimate would understate', async () => {
    const estimate = await estimatePeriodSoFar({ plan, periodStart, periodEnd, at: periodEnd, taxRate: '0' }, async (meter) =>
      meter === 'calls' ? read('3') : undefined,
    );
    expect(estimate).toBeNull();
  });

  it('reads nothing at the very start of the period', async () => {
    const estimate = await estimatePeriodSoFar({ plan, periodStart, periodEnd, at: periodStart, taxRate: '0' }, async () => {
      throw new Error('no read expected for an empty window');
    });
    expect(estimate?.quote.total).toBe('10.00');
  });

  describe('a rate card', () => {
    // Large and small at their own unit prices, any other model (and usage without one) graduated.
    const aiPlan = planSchema.parse({
      code: 'ai',
      name: 'AI',
      currency: 'USD',
      interval: 'month',
      baseFee: '0',
      charges: [ISSUE_RATE_CARD_TOKENS],
    });
    const byModel: MeteredUsage = {
      quantity: '2500000',
      eventCount: '4',
      dimensions: {
        model: [
          { value: 'large', quantity: '1000000', eventCount: '1' },
          { value: 'small', quantity: '1000000', eventCount: '1' },
          { value: 'mini', quantity: '400000', eventCount: '1' },
          { value: null, quantity: '100000', eventCount: '1' },
        ],
      },
    };

    it('reads its meter by the priceBy property and prices each value as its invoice line would', async () => {
      const asked: unknown[] = [];
      const estimate = await estimatePeriodSoFar(
        { plan: aiPlan, periodStart, periodEnd, at: periodEnd, taxRate: '0' },
        async (meter, _from, _to, groupBy) => {
          asked.push([meter, groupBy]);
          return byModel;
        },
      );
      expect(asked).toEqual([['tokens', ['model']]]);
      // large 1,000,000 × 0.00003 = 30.00; small 1,000,000 × 0.000005 = 5.00; mini's own first tier
      // 400,000 × 0.00001 = 4.00; usage without a model, its own first tier, 100,000 × 0.00001 = 1.00.
      // At the fallback price for all 2,500,000 it would have been 10.00 + 12.00 = 22.00.
      expect(estimate?.quote.lines.map((l) => [l.dimensions?.model, l.amount])).toEqual([
        ['large', '30.00'],
        ['small', '5.00'],
        ['mini', '4.00'],
        [null, '1.00'],
      ]);
      expect(estimate?.quote.total).toBe('40.00');
      expect(estimate?.usage).toEqual({ tokens: '2500000' });
    });

    it('refuses a read that lost the values it prices by, rather than pricing the total at the fallback', async () => {
      await expect(
        estimatePeriodSoFar({ plan: aiPlan, periodStart, periodEnd, at: periodEnd, taxRate: '0' }, async () => read('2500000')),
      ).rejects.toThrow(/without its model values/);
    });
  });
});

describe('withMoreUsage', () => {
  it('adds to the total exactly, with no rate card', () => {
    expect(withMoreUsage(read('0.1'), '0.2')).toEqual({ quantity: '0.3', eventCount: '1' });
  });

  it('on a rate card adds to the usage without a value, or makes that value when there is none', () => {
    const byModel: MeteredUsage = {
      quantity: '10',
      eventCount: '2',
      dimensions: { model: [{ value: 'large', quantity: '10', eventCount: '2' }] },
    };
    const once = withMoreUsage(byModel, '5', 'model');
    expect(once.quantity).toBe('15');
    expect(once.dimensions?.model).toEqual([
      { value: 'large', quantity: '10', eventCount: '2' },
      { value: null, quantity: '5', eventCount: '0' },
    ]);
    expect(withMoreUsage(once, '1', 'model').dimensions?.model?.[1]).toEqual({ value: null, quantity: '6', eventCount: '0' });
    // The largest quantity a limit allows (26 integer and 12 fractional digits) adds without rounding.
    const big = `${'9'.repeat(26)}.${'9'.repeat(12)}`;
    expect(withMoreUsage(read(big), '0.000000000001').quantity).toBe(`1${'0'.repeat(26)}`);
  });
});
