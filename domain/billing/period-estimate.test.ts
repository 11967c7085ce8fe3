import { describe, expect, it } from 'vitest';
import { planSchema } from '../pricing/index.ts';
import { estimatePeriodSoFar } from './period-estimate.ts';

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
const periodStart = new Date('2026-11-01T00:00:00Z');
const periodEnd = new Date('2026-12-01T00:00:00Z');

describe('estimatePeriodSoFar', () => {
  it('reads each charged meter from the period start to `at` and prices it with the plan and tax', async () => {
    const reads: string[] = [];
    const at = new Date('2026-11-10T00:00:00Z');
    const estimate = await estimatePeriodSoFar({ plan, periodStart, periodEnd, at, taxRate: '0.2' }, async (meter, from, to) => {
      reads.push(`${meter} ${from.toISOString()} ${to.toISOString()}`);
      return meter === 'calls' ? '7' : '0';
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
      async () => '1',
    );
    expect(estimate?.to).toEqual(periodEnd);
  });

  it('counts a negative aggregate (refunds) as zero usage', async () => {
    const estimate = await estimatePeriodSoFar({ plan, periodStart, periodEnd, at: periodEnd, taxRate: '0' }, async (meter) =>
      meter === 'refunds' ? '-5' : '0',
    );
    expect(estimate?.usage.refunds).toBe('0');
    expect(estimate?.quote.total).toBe('10.00');
  });

  it('is null when any read failed, even after others succeeded: a partial estimate would understate', async () => {
    const estimate = await estimatePeriodSoFar({ plan, periodStart, periodEnd, at: periodEnd, taxRate: '0' }, async (meter) =>
      meter === 'calls' ? '3' : undefined,
    );
    expect(estimate).toBeNull();
  });

  it('reads nothing at the very start of the period', async () => {
    const estimate = await estimatePeriodSoFar({ plan, periodStart, periodEnd, at: periodStart, taxRate: '0' }, async () => {
      throw new Error('no read expected for an empty window');
    });
    expect(estimate?.quote.total).toBe('10.00');
  });
});
