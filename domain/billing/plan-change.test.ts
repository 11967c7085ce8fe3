import { describe, expect, it } from 'vitest';
import { planChangeProblem, previewPlanChange } from './index.ts';
import type { PreviewPlan } from './index.ts';

// [Apr 15, May 15): 30 days. Starter bills 30 a period plus a flat 15; Pro bills 60 and usage only.
const period = { start: new Date('2027-04-15T00:00:00Z'), end: new Date('2027-05-15T00:00:00Z') };
const starter: PreviewPlan = {
  planId: '00000000-0000-4000-8000-000000000001',
  version: 1,
  code: 'starter',
  name: 'Starter',
  currency: 'USD',
  interval: 'month',
  intervalCount: 1,
  baseFee: '30',
  charges: [
    { meter: 'calls', model: 'per_unit', unitPrice: '0.1' },
    { meter: 'support', model: 'flat', amount: '15' },
  ],
};
const pro: PreviewPlan = {
  ...starter,
  planId: '00000000-0000-4000-8000-000000000002',
  code: 'pro',
  name: 'Pro',
  baseFee: '60',
  charges: [{ meter: 'calls', model: 'per_unit', unitPrice: '0.05', minimum: '9' }],
};
const amounts = (p: ReturnType<typeof previewPlanChange>) =>
  p.parts.map((x) => [
    x.plan.code,
    x.window.start.toISOString(),
    x.window.end.toISOString(),
    x.fixed.map((l) => [l.type, l.meter ?? null, l.amount]),
    x.fixedTotal,
  ]);

describe('previewPlanChange', () => {
  it("splits the period at an immediate change and prorates each part's fixed amounts by elapsed time", () => {
    const preview = previewPlanChange({
      period,
      periodKind: 'paid',
      parts: [{ from: period.start, plan: starter }],
      target: pro,
      effective: 'immediate',
      at: new Date('2027-04-25T00:00:00Z'),
    });
    expect(preview.effectiveAt.toISOString()).toBe('2027-04-25T00:00:00.000Z');
    expect(preview.next).toBeNull();
    expect(amounts(preview)).toEqual([
      // 30 × 10/30, and the flat 15 × 10/30; the per-unit charge is usage, priced at the close.
      [
        'starter',
        '2027-04-15T00:00:00.000Z',
        '2027-04-25T00:00:00.000Z',
        [
          ['proration', null, '10.00'],
          ['proration', 'support', '5.00'],
        ],
        '15.00',
      ],
      // 60 × 20/30. Pro's minimum depends on usage: not a fixed amount.
      ['pro', '2027-04-25T00:00:00.000Z', '2027-05-15T00:00:00.000Z', [['proration', null, '40.00']], '40.00'],
    ]);
  });

  it('keeps the period whole for a period-end change and names the plan that follows', () => {
    const preview = previewPlanChange({
      period,
      periodKind: 'paid',
      parts: [{ from: period.start, plan: starter }],
      target: pro,
      effective: 'period_end',
      at: new Date('2027-04-25T00:00:00Z'),
    });
    expect(preview.effectiveAt).toEqual(period.end);
    expect(preview.next).toEqual({ from: period.end, plan: pro });
    expect(amounts(preview)).toEqual([
      [
        'starter',
        '2027-04-15T00:00:00.000Z',
        '2027-05-15T00:00:00.000Z',
        [
          ['base_fee', null, '30.00'],
          ['usage', 'support', '15.00'],
        ],
        '45.00',
      ],
    ]);
  });

  it('adds a third part after an earlier immediate change, each rounded once', () => {
    // 100.00 over 10-day thirds of the month: 33.33, then the second plan's 10 days, then 33.33 again.
    const a = { ...starter, baseFee: '100', charges: [] };
    const b = { ...pro, baseFee: '100', charges: [] };
    const preview = previewPlanChange({
      period,
      periodKind: 'paid',
      parts: [
        { from: period.start, plan: a },
        { from: new Date('2027-04-25T00:00:00Z'), plan: b },
      ],
      target: a,
      effective: 'immediate',
      at: new Date('2027-05-05T00:00:00Z'),
    });
    expect(preview.parts.map((p) => p.fixedTotal)).toEqual(['33.33', '33.33', '33.33']);
  });

  it('is exact at the largest base fee the plan schema allows', () => {
    // 30 integer and 12 fractional digits: 10 of 30 days is a third, 20 two thirds.
    const fee = '999999999999999999999999999999.999999999999';
    const preview = previewPlanChange({
      period,
      periodKind: 'paid',
      parts: [{ from: period.start, plan: { ...starter, baseFee: fee, charges: [] } }],
      target: { ...pro, baseFee: fee, charges: [] },
      effective: 'immediate',
      at: new Date('2027-04-25T00:00:00Z'),
    });
    expect(preview.parts.map((p) => p.fixedTotal)).toEqual(['333333333333333333333333333333.33', '666666666666666666666666666666.67']);
    // Whole, it rounds up to 31 integer digits: more than a request may send, still exact.
    const whole = previewPlanChange({
      period,
      periodKind: 'paid',
      parts: [{ from: period.start, plan: { ...starter, baseFee: fee, charges: [] } }],
      target: pro,
      effective: 'period_end',
      at: period.start,
    });
    expect(whole.parts.map((p) => p.fixedTotal)).toEqual(['1000000000000000000000000000000.00']);
  });

  it('bills nothing of a trial: an immediate change there replaces the plan', () => {
    const trial = { start: new Date('2027-04-01T00:00:00Z'), end: period.start };
    const preview = previewPlanChange({
      period: trial,
      periodKind: 'trial',
      parts: [{ from: trial.start, plan: starter }],
      target: pro,
      effective: 'immediate',
      at: new Date('2027-04-05T00:00:00Z'),
    });
    expect(amounts(preview)).toEqual([['pro', '2027-04-01T00:00:00.000Z', '2027-04-15T00:00:00.000Z', [], '0.00']]);
  });
});

describe('planChangeProblem', () => {
  const live = { ended: false as const, periodKind: 'paid' as const, current: starter, hasPendingPlan: false };
  it.each([
    ['ended', { ended: true as const }, pro, 'immediate', 'the subscription has ended'],
    ['another currency', live, { ...pro, currency: 'EUR' }, 'period_end', "the plan's currency EUR differs from the subscription's USD"],
    ['the same version', live, starter, 'period_end', 'the subscription is already on this plan version'],
    [
      'another interval at once',
      live,
      { ...pro, interval: 'year' as const },
      'immediate',
      'an immediate change must keep the billing interval; change at period_end to switch intervals',
    ],
    ['an unknown effective', live, pro, 'tomorrow', 'effective must be immediate or period_end'],
  ])('refuses %s', (_, state, target, effective, problem) => {
    expect(planChangeProblem(state, target, effective)).toBe(problem);
  });
  it('accepts another interval at the period end, in a trial at once, and undoing a pending change', () => {
    expect(planChangeProblem(live, { ...pro, interval: 'year' }, 'period_end')).toBeNull();
    expect(planChangeProblem({ ...live, periodKind: 'trial' }, { ...pro, interval: 'year' }, 'immediate')).toBeNull();
    expect(planChangeProblem({ ...live, hasPendingPlan: true }, starter, 'period_end')).toBeNull();
  });
});
