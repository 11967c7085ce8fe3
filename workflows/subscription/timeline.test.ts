import { describe, expect, it } from 'vitest';
import type { PlanTerms, SubscriptionWorkflowInput } from '../contract.ts';
import { applyChangePlan, changePlanProblem, closeNow, dueCloses, initialState, invoiceNowProblem, nextWake, rollIfEnded, statusOf } from './timeline.ts';

const monthly: PlanTerms = { planId: 'p1', version: 1, code: 'basic', name: 'Basic', currency: 'USD', interval: 'month', intervalCount: 1, trialDays: 0, gracePeriodSeconds: 3600 };
const input = (plan: PlanTerms, startAt = '2027-01-31T00:00:00.000Z'): SubscriptionWorkflowInput => ({ subscriptionId: 's1', tenantId: 't1', plan, startAt, billingAnchor: startAt });
const t = (iso: string) => new Date(iso).getTime();
let n = 0;
const ids = () => `inv-${++n}`;

describe('rollIfEnded', () => {
  it('does nothing before the period ends, then queues its invoice after the grace period and moves on', () => {
    const s = initialState(input(monthly));
    expect(rollIfEnded(s, t('2027-02-27T23:59:59.999Z'), ids)).toBe(false);
    expect(nextWake(s)).toBe(t('2027-02-28T00:00:00Z'));
    expect(rollIfEnded(s, t('2027-02-28T00:00:00Z'), ids)).toBe(true);
    expect(s.closes).toEqual([expect.objectContaining({ reason: 'period_end', serviceFrom: '2027-01-31T00:00:00.000Z', serviceEnd: '2027-02-28T00:00:00.000Z', readyAt: '2027-02-28T01:00:00.000Z' })]);
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
    expect(s).toMatchObject({ state: 'active', period: { kind: 'paid', start: '2027-03-15T00:00:00.000Z', end: '2027-04-15T00:00:00.000Z' } });
  });

  it('applies a period-end change at the boundary, re-anchoring when the interval changes', () => {
    const s = initialState(input(monthly));
    applyChangePlan(s, { plan: { ...monthly, planId: 'p2', interval: 'week' }, effective: 'period_end' }, t('2027-02-10T00:00:00Z'));
    expect(statusOf(input(monthly), s).pendingChange).toMatchObject({ type: 'change_plan', planId: 'p2', at: '2027-02-28T00:00:00.000Z' });
    rollIfEnded(s, t('2027-02-28T00:00:00Z'), ids);
    expect(s.period).toMatchObject({ start: '2027-02-28T00:00:00.000Z', end: '2027-03-07T00:00:00.000Z', anchor: '2027-02-28T00:00:00.000Z' });
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
    expect(close).toMatchObject({ serviceEnd: '2027-02-10T12:00:00.000Z', readyAt: '2027-02-10T12:00:00.000Z', period: { start: '2027-01-31T00:00:00.000Z', end: '2027-02-28T00:00:00.000Z' } });
    expect(s.period).toMatchObject({ start: '2027-02-10T12:00:00.000Z', end: '2027-03-10T12:00:00.000Z', serviceFrom: '2027-02-10T12:00:00.000Z' });
    expect(invoiceNowProblem(s, t('2027-02-10T12:00:00Z'))).toMatch(/just started/);
  });

  it('an immediate cancel bills the part used and ends the subscription; in a trial it bills nothing', () => {
    const s = initialState(input(monthly));
    expect(closeNow(s, t('2027-02-01T00:00:00Z'), 'y', 'cancel')).toMatchObject({ reason: 'cancel', serviceEnd: '2027-02-01T00:00:00.000Z' });
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
      { invoiceId: 'a', reason: 'period_end', period: { start: 'x', end: 'y' }, serviceFrom: 'x', serviceEnd: 'y', segments: [], readyAt: '2027-03-01T01:00:00.000Z' },
      { invoiceId: 'b', reason: 'invoice_now', period: { start: 'x', end: 'y' }, serviceFrom: 'x', serviceEnd: 'y', segments: [], readyAt: '2027-03-01T00:10:00.000Z' },
    ];
    expect(dueCloses(s, t('2027-03-01T00:09:00Z'))).toBe(0);
    expect(dueCloses(s, t('2027-03-01T00:10:00Z'))).toBe(2);
  });
});
