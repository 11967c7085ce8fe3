import { describe, expect, it } from 'vitest';
import type { PlanTerms, SubscriptionWorkflowInput } from '../contract.ts';
import {
  MAX_CLOSES_PER_RUN,
  afterRolls,
  applyChangePlan,
  cancelProblem,
  changePlanProblem,
  closeNow,
  closesToInvoice,
  dueCloses,
  initialState,
  invoiceNowProblem,
  nextWake,
  rollAllEnded,
  rollIfEnded,
  statusOf,
} from './timeline.ts';
import { prorateForPart } from '../../domain/proration/index.ts';

const monthly: PlanTerms = {
  planId: 'p1',
  version: 1,
  code: 'basic',
  name: 'Basic',
  currency: 'USD',
  interval: 'month',
  intervalCount: 1,
  trialDays: 0,
  gracePeriodSeconds: 3600,
};
const input = (plan: PlanTerms, startAt = '2027-01-31T00:00:00.000Z'): SubscriptionWorkflowInput => ({
  subscriptionId: 's1',
  tenantId: 't1',
  plan,
  startAt,
  billingAnchor: startAt,
});
const t = (iso: string) => new Date(iso).getTime();
let n = 0;
const ids = () => `inv-${++n}`;

describe('rollIfEnded', () => {
  it('does nothing before the period ends, then queues its invoice after the grace period and moves on', () => {
    const s = initialState(input(monthly));
    expect(rollIfEnded(s, t('2027-02-27T23:59:59.999Z'), ids)).toBe(false);
    expect(nextWake(s)).toBe(t('2027-02-28T00:00:00Z'));
    expect(rollIfEnded(s, t('2027-02-28T00:00:00Z'), ids)).toBe(true);
    expect(s.closes).toEqual([
      expect.objectContaining({
        reason: 'period_end',
        serviceFrom: '2027-01-31T00:00:00.000Z',
        serviceEnd: '2027-02-28T00:00:00.000Z',
        readyAt: '2027-02-28T01:00:00.000Z',
      }),
    ]);
    expect(s.period).toMatchObject({ start: '2027-02-28T00:00:00.000Z', end: '2027-03-31T00:00:00.000Z' });
    expect(nextWake(s)).toBe(t('2027-02-28T01:00:00Z'));
    expect(dueCloses(s, t('2027-02-28T00:59:59Z'))).toBe(0);
    expect(dueCloses(s, t('2027-02-28T01:00:00Z'))).toBe(1);
  });

  it('ends a trial without an invoice, into the first paid period', () => {
    const s = initialState(input({ ...monthly, trialDays: 14 }, '2027-03-01T00:00:00.000Z'));
    expect(s).toMatchObject({ state: 'trialing', period: { kind: 'trial', end: '2027-03-15T00:00:00.000Z' } });
    rollIfEnded(s, t('2027-03-15T00:00:00Z'), ids);
    expect(s.closes).toEqual([]);
    expect(s).toMatchObject({
      state: 'active',
      period: { kind: 'paid', start: '2027-03-15T00:00:00.000Z', end: '2027-04-15T00:00:00.000Z' },
    });
  });

  it('applies a period-end change at the boundary, re-anchoring when the interval changes', () => {
    const s = initialState(input(monthly));
    applyChangePlan(s, { plan: { ...monthly, planId: 'p2', interval: 'week' }, effective: 'period_end' }, t('2027-02-10T00:00:00Z'));
    expect(statusOf(input(monthly), s).pendingChange).toMatchObject({ type: 'change_plan', planId: 'p2', at: '2027-02-28T00:00:00.000Z' });
    rollIfEnded(s, t('2027-02-28T00:00:00Z'), ids);
    expect(s.period).toMatchObject({
      start: '2027-02-28T00:00:00.000Z',
      end: '2027-03-07T00:00:00.000Z',
      anchor: '2027-02-28T00:00:00.000Z',
    });
    expect(s.segments.map((x) => x.plan.planId)).toEqual(['p2']);
    expect(s.pendingPlan).toBeNull();
  });

  it('ends a subscription canceled at the period end after queuing its final invoice', () => {
    const s = initialState(input(monthly));
    s.cancelAtPeriodEnd = true;
    rollIfEnded(s, t('2027-02-28T00:00:00Z'), ids);
    expect(s).toMatchObject({ state: 'canceled', period: null, canceledAt: '2027-02-28T00:00:00.000Z' });
    expect(s.closes).toHaveLength(1);
  });
});

describe('closeNow', () => {
  it('invoice-now bills [serviceFrom, now) at once and starts the next period now', () => {
    const s = initialState(input(monthly));
    const close = closeNow(s, t('2027-02-10T12:00:00Z'), 'x', 'invoice_now');
    expect(close).toMatchObject({
      serviceEnd: '2027-02-10T12:00:00.000Z',
      readyAt: '2027-02-10T12:00:00.000Z',
      period: { start: '2027-01-31T00:00:00.000Z', end: '2027-02-28T00:00:00.000Z' },
    });
    expect(s.period).toMatchObject({
      start: '2027-02-10T12:00:00.000Z',
      end: '2027-03-10T12:00:00.000Z',
      serviceFrom: '2027-02-10T12:00:00.000Z',
    });
    expect(invoiceNowProblem(s, t('2027-02-10T12:00:00Z'))).toMatch(/just started/);
  });

  it("invoice-now that keeps the period bills [serviceFrom, now) and leaves the rest to the period's close", () => {
    const s = initialState(input(monthly));
    applyChangePlan(s, { plan: { ...monthly, planId: 'p2' }, effective: 'immediate' }, t('2027-02-05T00:00:00Z'));
    const close = closeNow(s, t('2027-02-10T12:00:00Z'), 'x', 'invoice_now', true)!;
    // Both parts so far are billed now, against the whole period.
    expect(close).toMatchObject({
      serviceFrom: '2027-01-31T00:00:00.000Z',
      serviceEnd: '2027-02-10T12:00:00.000Z',
      period: { start: '2027-01-31T00:00:00.000Z', end: '2027-02-28T00:00:00.000Z' },
    });
    expect(close.segments.map((x) => [x.from, x.plan.planId])).toEqual([
      ['2027-01-31T00:00:00.000Z', 'p1'],
      ['2027-02-05T00:00:00.000Z', 'p2'],
    ]);
    // The period keeps its start, end and anchor; the uninvoiced rest starts now, under the current plan.
    expect(s.period).toEqual({
      kind: 'paid',
      start: '2027-01-31T00:00:00.000Z',
      end: '2027-02-28T00:00:00.000Z',
      anchor: '2027-01-31T00:00:00.000Z',
      serviceFrom: '2027-02-10T12:00:00.000Z',
    });
    expect(s.segments.map((x) => [x.from, x.plan.planId])).toEqual([['2027-02-10T12:00:00.000Z', 'p2']]);
    expect(invoiceNowProblem(s, t('2027-02-10T12:00:00Z'))).toMatch(/just started/);
    expect(nextWake(s)).toBe(t('2027-02-10T12:00:00Z')); // the invoice-now's close is due at once
    s.closes.shift();
    expect(nextWake(s)).toBe(t('2027-02-28T00:00:00Z'));
    // A second invoice-now bills from the first one's instant; the period's end bills the remainder.
    expect(closeNow(s, t('2027-02-20T00:00:00Z'), 'y', 'invoice_now', true)).toMatchObject({
      serviceFrom: '2027-02-10T12:00:00.000Z',
      serviceEnd: '2027-02-20T00:00:00.000Z',
    });
    s.closes.shift();
    expect(rollIfEnded(s, t('2027-02-28T00:00:00Z'), ids)).toBe(true);
    expect(s.closes).toEqual([
      expect.objectContaining({
        reason: 'period_end',
        serviceFrom: '2027-02-20T00:00:00.000Z',
        serviceEnd: '2027-02-28T00:00:00.000Z',
        period: { start: '2027-01-31T00:00:00.000Z', end: '2027-02-28T00:00:00.000Z' },
      }),
    ]);
    expect(s.period).toMatchObject({
      start: '2027-02-28T00:00:00.000Z',
      end: '2027-03-31T00:00:00.000Z',
      serviceFrom: '2027-02-28T00:00:00.000Z',
    });
  });

  it('an immediate cancel after an invoice-now that kept the period bills from the invoice-now to the cancel', () => {
    const s = initialState(input(monthly));
    closeNow(s, t('2027-02-10T00:00:00Z'), 'x', 'invoice_now', true);
    expect(closeNow(s, t('2027-02-15T00:00:00Z'), 'y', 'cancel', true)).toMatchObject({
      reason: 'cancel',
      serviceFrom: '2027-02-10T00:00:00.000Z',
      serviceEnd: '2027-02-15T00:00:00.000Z',
      period: { start: '2027-01-31T00:00:00.000Z', end: '2027-02-28T00:00:00.000Z' },
    });
    expect(s).toMatchObject({ state: 'canceled', period: null, canceledAt: '2027-02-15T00:00:00.000Z' });
  });

  it('an immediate cancel bills the part used and ends the subscription; in a trial it bills nothing', () => {
    const s = initialState(input(monthly));
    expect(closeNow(s, t('2027-02-01T00:00:00Z'), 'y', 'cancel')).toMatchObject({
      reason: 'cancel',
      serviceEnd: '2027-02-01T00:00:00.000Z',
    });
    expect(s).toMatchObject({ state: 'canceled', period: null });
    const trial = initialState(input({ ...monthly, trialDays: 7 }));
    expect(closeNow(trial, t('2027-02-02T00:00:00Z'), 'z', 'cancel')).toBeNull();
    expect(trial.state).toBe('canceled');
  });
});

describe('change-plan validation', () => {
  const s = initialState(input(monthly));
  it.each([
    [{ plan: monthly, effective: 'immediate' as const }, 'already on this plan'],
    [{ plan: { ...monthly, planId: 'p2', currency: 'EUR' }, effective: 'immediate' as const }, 'currency'],
    [{ plan: { ...monthly, planId: 'p2', interval: 'year' as const }, effective: 'immediate' as const }, 'keep the billing interval'],
  ])('refuses %j', (req, problem) => {
    expect(changePlanProblem(s, req)).toContain(problem);
  });
  it('accepts another plan now or at the period end, and splits the period at an immediate change', () => {
    const pro = { ...monthly, planId: 'p2', code: 'pro' };
    expect(changePlanProblem(s, { plan: pro, effective: 'immediate' })).toBeNull();
    applyChangePlan(s, { plan: pro, effective: 'immediate' }, t('2027-02-10T00:00:00Z'));
    expect(statusOf(input(monthly), s).parts).toEqual([
      { from: '2027-01-31T00:00:00.000Z', planId: 'p1', version: 1, code: 'basic' },
      { from: '2027-02-10T00:00:00.000Z', planId: 'p2', version: 1, code: 'pro' },
    ]);
  });
});

describe('dueCloses', () => {
  it('releases earlier closes still in their grace period when a later one is ready', () => {
    const s = initialState(input(monthly));
    s.closes = [
      {
        invoiceId: 'a',
        reason: 'period_end',
        period: { start: 'x', end: 'y' },
        serviceFrom: 'x',
        serviceEnd: 'y',
        segments: [],
        readyAt: '2027-03-01T01:00:00.000Z',
      },
      {
        invoiceId: 'b',
        reason: 'invoice_now',
        period: { start: 'x', end: 'y' },
        serviceFrom: 'x',
        serviceEnd: 'y',
        segments: [],
        readyAt: '2027-03-01T00:10:00.000Z',
      },
    ];
    expect(dueCloses(s, t('2027-03-01T00:09:00Z'))).toBe(0);
    expect(dueCloses(s, t('2027-03-01T00:10:00Z'))).toBe(2);
  });
});

describe('a request handled after the period has ended', () => {
  const closeWindow = (c: { period: { start: string; end: string }; serviceFrom: string; serviceEnd: string }) =>
    prorateForPart(
      '30',
      { start: new Date(c.period.start), end: new Date(c.period.end) },
      { start: new Date(c.serviceFrom), end: new Date(c.serviceEnd) },
    );

  it('without the roll, closes a window past the period end, which proration refuses (the wedge)', () => {
    const s = initialState(input(monthly));
    const close = closeNow(s, t('2027-02-28T00:00:05Z'), 'late', 'cancel')!;
    expect(close.serviceEnd).toBe('2027-02-28T00:00:05.000Z');
    expect(() => closeWindow(close)).toThrow(RangeError);
  });

  it('rolls first: the ended period gets its own close, and the request closes a window of the current one', () => {
    const s = initialState(input(monthly));
    const now = t('2027-02-28T00:00:05Z');
    let rolls = 0;
    expect(rollAllEnded(s, now, ids, () => (rolls += 1))).toBe(1);
    expect(rolls).toBe(1);
    const close = closeNow(s, now, 'cancel-1', 'cancel')!;
    expect(s.closes.map((c) => [c.reason, c.serviceFrom, c.serviceEnd])).toEqual([
      ['period_end', '2027-01-31T00:00:00.000Z', '2027-02-28T00:00:00.000Z'],
      ['cancel', '2027-02-28T00:00:00.000Z', '2027-02-28T00:00:05.000Z'],
    ]);
    for (const c of s.closes) expect(() => closeWindow(c)).not.toThrow();
    expect(close.period).toEqual({ start: '2027-02-28T00:00:00.000Z', end: '2027-03-31T00:00:00.000Z' });
  });

  it('rolls every ended period, and none when the period is current', () => {
    const s = initialState(input(monthly));
    expect(rollAllEnded(s, t('2027-05-01T00:00:00Z'), ids)).toBe(3);
    expect(s.period).toMatchObject({ start: '2027-04-30T00:00:00.000Z' });
    expect(rollAllEnded(s, t('2027-05-01T00:00:00Z'), ids)).toBe(0);
  });

  it('validates against the rolled state without changing the real one', () => {
    const s = initialState(input(monthly));
    s.cancelAtPeriodEnd = true;
    const frozen = JSON.stringify(s);
    const now = t('2027-02-28T00:00:00Z');
    // The period ended with a cancellation at its end: the subscription has ended, whatever the handler would see.
    expect(cancelProblem(afterRolls(s, now), 'immediate')).toBe('the subscription has already ended');
    expect(cancelProblem(s, 'immediate')).toBeNull();
    expect(JSON.stringify(s)).toBe(frozen);
    // At the boundary the new period has not begun to elapse: nothing to invoice yet.
    const active = initialState(input(monthly));
    expect(invoiceNowProblem(afterRolls(active, now), now)).toMatch(/just started/);
    expect(afterRolls(active, t('2027-02-27T00:00:00Z'))).toBe(active);
  });
});

describe('closesToInvoice', () => {
  it('bounds the closes of one run', () => {
    expect(MAX_CLOSES_PER_RUN).toBe(12);
    expect(closesToInvoice(3, 0, 12)).toBe(3);
    expect(closesToInvoice(40, 0, 12)).toBe(12);
    expect(closesToInvoice(40, 10, 12)).toBe(2);
    expect(closesToInvoice(40, 12, 12)).toBe(0);
    expect(closesToInvoice(0, 12, 12)).toBe(0);
  });
});

describe('a subscription in a time zone', () => {
  const newYork = 'America/New_York';

  it('rolls October and November 2026 at New York midnight, across the end of DST, and carries the zone', () => {
    const s = initialState(input(monthly, '2026-10-01T04:00:00.000Z'), newYork);
    expect(s.timeZone).toBe(newYork);
    expect(s.period).toMatchObject({ start: '2026-10-01T04:00:00.000Z', end: '2026-11-01T04:00:00.000Z' });
    expect(rollIfEnded(s, t('2026-11-01T04:00:00Z'), ids)).toBe(true);
    expect(s.period).toMatchObject({ start: '2026-11-01T04:00:00.000Z', end: '2026-12-01T05:00:00.000Z' });
    expect(s.closes.at(-1)).toMatchObject({ serviceFrom: '2026-10-01T04:00:00.000Z', serviceEnd: '2026-11-01T04:00:00.000Z' });
    // A run continued as new gets the state through JSON.
    const carried = JSON.parse(JSON.stringify(s)) as typeof s;
    expect(rollIfEnded(carried, t('2026-12-01T05:00:00Z'), ids)).toBe(true);
    expect(carried.period).toMatchObject({ start: '2026-12-01T05:00:00.000Z', end: '2027-01-01T05:00:00.000Z' });
  });

  it('ends a trial at local midnight in local days, and reports that end', () => {
    const plan = { ...monthly, trialDays: 14 };
    const s = initialState(input(plan, '2026-10-25T04:00:00.000Z'), newYork);
    expect(s.period).toMatchObject({ kind: 'trial', end: '2026-11-08T05:00:00.000Z' });
    expect(statusOf(input(plan, '2026-10-25T04:00:00.000Z'), s).trialEnd).toBe('2026-11-08T05:00:00.000Z');
  });

  it('without a zone (every run from before zones) keeps the UTC periods', () => {
    const s = initialState(input(monthly, '2026-10-01T04:00:00.000Z'));
    expect(s.timeZone).toBeUndefined();
    expect(s.period).toMatchObject({ start: '2026-10-01T04:00:00.000Z', end: '2026-11-01T04:00:00.000Z' });
    rollIfEnded(s, t('2026-11-01T04:00:00Z'), ids);
    expect(s.period).toMatchObject({ start: '2026-11-01T04:00:00.000Z', end: '2026-12-01T04:00:00.000Z' });
  });
});
