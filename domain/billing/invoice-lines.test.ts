import { describe, expect, it } from 'vitest';
import { planSchema, quotePlan, type PlanInput } from '../pricing/index.ts';
import { invoiceLines, invoiceTotals, lateUsageAdjustment } from './index.ts';

const d = (iso: string) => new Date(iso);
const april = { start: d('2026-04-01T00:00:00Z'), end: d('2026-05-01T00:00:00Z') }; // 30 days
const ref = (planId: string) => ({ planId, version: 1 });

const basic = planSchema.parse({
  code: 'basic',
  name: 'Basic',
  currency: 'USD',
  interval: 'month',
  baseFee: '30',
  charges: [
    { meter: 'calls', model: 'per_unit', unitPrice: '0.1' },
    { meter: 'seats', model: 'flat', amount: '15' },
  ],
} satisfies PlanInput);
const pro = planSchema.parse({
  code: 'pro',
  name: 'Pro',
  currency: 'USD',
  interval: 'month',
  baseFee: '60',
  charges: [
    { meter: 'calls', model: 'per_unit', unitPrice: '0.1', minimum: '9' },
    {
      meter: 'storage',
      model: 'graduated',
      tiers: [
        { upTo: '100', unitPrice: '1' },
        { upTo: null, unitPrice: '0.5', flatFee: '2' },
      ],
    },
  ],
} satisfies PlanInput);

describe('invoiceLines', () => {
  it('bills a whole period exactly as quotePlan prices it', () => {
    const usage = { calls: { quantity: '123.45', eventCount: '17' }, storage: { quantity: '150.5', eventCount: '3' } };
    const lines = invoiceLines({ currency: 'USD', period: april, parts: [{ window: april, plan: pro, planRef: ref('p'), usage }] });
    const quote = quotePlan(pro, { calls: '123.45', storage: '150.5' }, '0');
    expect(lines.map((l) => l.amount)).toEqual([quote.baseFee, ...quote.lines.map((l) => l.amount)]);
    expect(
      invoiceTotals(
        lines.map((l) => l.amount),
        '0',
        'USD',
      ).subtotal,
    ).toBe(quote.subtotal);
    expect(lines[0]).toMatchObject({ type: 'base_fee', description: 'Pro: base fee', amount: '60.00' });
    // storage: 100 × 1 + 50.5 × 0.5 + 2 = 127.25
    expect(lines[2]).toMatchObject({
      type: 'usage',
      meter: 'storage',
      model: 'graduated',
      quantity: '150.5',
      amount: '127.25',
      usage: { from: april.start, to: april.end, eventCount: '3' },
      tiers: [
        { tier: 0, upTo: '100', quantity: '100', unitPrice: '1', flatFee: '0', amount: '100' },
        { tier: 1, upTo: null, quantity: '50.5', unitPrice: '0.5', flatFee: '2', amount: '27.25' },
      ],
    });
  });

  it('prorates a mid-period plan change by exact elapsed time and rates each part on its own usage', () => {
    const change = d('2026-04-11T00:00:00Z'); // 10 of 30 days under Basic, 20 under Pro
    const lines = invoiceLines({
      currency: 'USD',
      period: april,
      parts: [
        {
          window: { start: april.start, end: change },
          plan: basic,
          planRef: ref('basic'),
          usage: { calls: { quantity: '100', eventCount: '100' } },
        },
        {
          window: { start: change, end: april.end },
          plan: pro,
          planRef: ref('pro'),
          usage: { calls: { quantity: '50', eventCount: '50' }, storage: { quantity: '0', eventCount: '0' } },
        },
      ],
    });
    expect(lines.map((l) => [l.type, l.meter ?? null, l.amount])).toEqual([
      ['proration', null, '10.00'], // 30 × 10/30
      ['usage', 'calls', '10.00'], // 100 × 0.1
      ['proration', 'seats', '5.00'], // flat 15 × 10/30
      ['proration', null, '40.00'], // 60 × 20/30
      ['usage', 'calls', '6.00'], // 50 × 0.1 = 5, below the minimum 9 × 20/30 = 6
      ['usage', 'storage', '0.00'], // zero usage: first tier has no flat fee
    ]);
    expect(lines[0]!.description).toBe('Basic: base fee for 2026-04-01 – 2026-04-11, prorated from 2026-04-01 – 2026-05-01');
    expect(
      invoiceTotals(
        lines.map((l) => l.amount),
        '0.1',
        'USD',
      ),
    ).toEqual({ subtotal: '71.00', tax: '7.10', total: '78.10' });
  });

  it('prorates a base fee of a third of a period to a rounded line', () => {
    const may = { start: d('2026-05-01T00:00:00Z'), end: d('2026-06-01T00:00:00Z') }; // 31 days
    const lines = invoiceLines({
      currency: 'USD',
      period: may,
      parts: [
        { window: { start: may.start, end: d('2026-05-08T00:00:00Z') }, plan: { ...basic, charges: [] }, planRef: ref('b'), usage: {} },
      ],
    });
    // 30 × 7/31 = 6.774193548… → 6.77
    expect(lines).toEqual([expect.objectContaining({ type: 'proration', amount: '6.77' })]);
  });
});

describe('lateUsageAdjustment', () => {
  const storage = pro.charges[1]!;
  const rating = { charge: storage, period: { start: april.start.toISOString(), end: april.end.toISOString() } };

  it('re-rates the whole window and bills the difference, exactly across a tier edge', () => {
    // billed: 90 units in tier 1 = 90.00; now 120: 100 × 1 + 20 × 0.5 + 2 = 112.00 → +22.00
    const line = lateUsageAdjustment({
      currency: 'USD',
      rating,
      window: april,
      usage: { quantity: '120', eventCount: '120' },
      billed: '90.00',
    });
    expect(line).toMatchObject({
      type: 'adjustment',
      meter: 'storage',
      quantity: '120',
      amount: '22.00',
      description: 'storage: usage for 2026-04-01 – 2026-05-01 received after invoicing',
      usage: { from: april.start, to: april.end, eventCount: '120' },
    });
  });

  it('adds nothing when the deduplicated usage did not change', () => {
    expect(
      lateUsageAdjustment({ currency: 'USD', rating, window: april, usage: { quantity: '90', eventCount: '90' }, billed: '90.00' }),
    ).toBeNull();
  });

  it('counts earlier adjustments as billed', () => {
    // billed 90.00 + 22.00 earlier; now 130: 100 + 15 + 2 = 117.00 → +5.00
    const line = lateUsageAdjustment({
      currency: 'USD',
      rating,
      window: april,
      usage: { quantity: '130', eventCount: '130' },
      billed: '112.00',
    });
    expect(line?.amount).toBe('5.00');
  });
});

describe('invoiceTotals', () => {
  it('taxes the subtotal once, half-up', () => {
    expect(invoiceTotals(['10.00', '0.01'], '0.2', 'USD')).toEqual({ subtotal: '10.01', tax: '2.00', total: '12.01' }); // 2.002
    expect(invoiceTotals(['0.05'], '0.1', 'USD')).toEqual({ subtotal: '0.05', tax: '0.01', total: '0.06' }); // 0.005 → 0.01
    expect(invoiceTotals(['1000'], '0.075', 'JPY')).toEqual({ subtotal: '1000', tax: '75', total: '1075' });
    expect(invoiceTotals([], '0.2', 'USD')).toEqual({ subtotal: '0.00', tax: '0.00', total: '0.00' });
  });
});

describe('invoiceLines for a rate card', () => {
  const ai = planSchema.parse({
    code: 'ai',
    name: 'AI',
    currency: 'USD',
    interval: 'month',
    baseFee: '0',
    charges: [
      {
        meter: 'tokens',
        model: 'graduated',
        tiers: [
          { upTo: '1000', unitPrice: '0.01' },
          { upTo: null, unitPrice: '0.005' },
        ],
        priceBy: 'model',
        rates: [{ match: 'large', model: 'per_unit', unitPrice: '0.03', minimum: '1' }],
      },
    ],
  } satisfies PlanInput);
  const grouped = (values: [string | null, string][]) => ({
    quantity: values.reduce((s, [, q]) => s + Number(q), 0).toString(), // the test's own small integers
    eventCount: String(values.length),
    dimensions: { model: values.map(([value, quantity]) => ({ value, quantity, eventCount: '1' })) },
  });

  it('bills one line per value with its dimensions, as quotePlan prices it', () => {
    const usage = {
      tokens: grouped([
        ['large', '100'],
        ['mistral', '1500'],
        [null, '10'],
      ]),
    };
    const lines = invoiceLines({ currency: 'USD', period: april, parts: [{ window: april, plan: ai, planRef: ref('ai'), usage }] });
    // large 100 × 0.03 = 3.00; mistral 1000 × 0.01 + 500 × 0.005 = 12.50; unset 10 × 0.01 = 0.10
    expect(lines.map((l) => [l.dimensions, l.model, l.quantity, l.amount, l.description])).toEqual([
      [{ model: 'large' }, 'per_unit', '100', '3.00', 'AI: tokens model=large (per unit)'],
      [{ model: 'mistral' }, 'graduated', '1500', '12.50', 'AI: tokens model=mistral (graduated)'],
      [{ model: null }, 'graduated', '10', '0.10', 'AI: tokens model not set (graduated)'],
    ]);
    const quote = quotePlan(ai, { tokens: { large: '100', mistral: '1500' } }, '0');
    expect(quote.lines.map((l) => l.amount)).toEqual(['3.00', '12.50']);
    expect(lines[0]!.rating).toMatchObject({ charge: ai.charges[0] });
  });

  it('continues each value of a run on its own: the parts add up to the run billed at once', () => {
    const mid = d('2026-04-16T00:00:00Z');
    const first = { start: april.start, end: mid };
    const second = { start: mid, end: april.end };
    const part1 = invoiceLines({
      currency: 'USD',
      period: april,
      parts: [{ window: first, plan: ai, planRef: ref('ai'), usage: { tokens: grouped([['mistral', '800']]) } }],
    });
    // The large rate's minimum counts once per period: the first part bills it in full.
    expect(part1.map((l) => [l.dimensions?.model, l.amount])).toEqual([
      ['large', '1.00'],
      ['mistral', '8.00'],
    ]);
    const part2 = invoiceLines({
      currency: 'USD',
      period: april,
      parts: [
        {
          window: second,
          plan: ai,
          planRef: ref('ai'),
          usage: {
            tokens: grouped([
              ['large', '50'],
              ['mistral', '700'],
            ]),
          },
          run: {
            from: april.start,
            prorated: false,
            earlier: {
              tokens: {
                usage: grouped([['mistral', '800']]),
                billed: '9.00',
                billedByValue: [
                  { value: 'large', billed: '1.00' },
                  { value: 'mistral', billed: '8.00' },
                ],
              },
            },
          },
        },
      ],
    });
    // large: 50 × 0.03 = 1.50 − 1.00; mistral 1500 in all: 12.50 − 8.00 (tiers count over the run, per value)
    expect(part2.map((l) => [l.dimensions?.model, l.quantity, l.amount])).toEqual([
      ['large', '50', '0.50'],
      ['mistral', '700', '4.50'],
    ]);
  });

  it('re-rates late usage of one value with its own pricing, naming it', () => {
    const rating = {
      charge: ai.charges[0]!,
      period: { start: april.start.toISOString(), end: april.end.toISOString() },
      from: april.start.toISOString(),
      to: april.end.toISOString(),
      prorated: false,
    };
    const line = lateUsageAdjustment({
      currency: 'USD',
      rating,
      window: april,
      usage: { quantity: '1200', eventCount: '4' },
      billed: '10.00',
      dimensions: { model: 'mistral' },
    });
    // 1000 × 0.01 + 200 × 0.005 = 11.00, less 10.00 billed
    expect(line).toMatchObject({
      type: 'adjustment',
      amount: '1.00',
      dimensions: { model: 'mistral' },
      model: 'graduated',
      description: 'tokens model=mistral: usage for 2026-04-01 – 2026-05-01 received after invoicing',
    });
  });
});
