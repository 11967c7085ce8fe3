import { describe, expect, it } from 'vitest';
import type { PlanTerms, SubscriptionWorkflowInput } from '../contract.ts';
import { closeNow, initialState, rollIfEnded } from './timeline.ts';
import {
  afterLateUsageCheck,
  lateUsageInvoiced,
  lateUsageWindow,
  lateUsageOpen,
  lateUsageStep,
  nudgeLateUsage,
  queueLateUsageClose,
  startLateUsageWatch,
} from './late-usage.ts';

const daily: PlanTerms = {
  planId: 'p1',
  version: 1,
  code: 'd',
  name: 'Daily',
  currency: 'USD',
  interval: 'day',
  intervalCount: 1,
  trialDays: 0,
  gracePeriodSeconds: 0,
  lateUsageDays: 10,
};
const input = (plan: PlanTerms): SubscriptionWorkflowInput => ({
  subscriptionId: 's1',
  tenantId: 't1',
  plan,
  startAt: '2027-01-01T00:00:00.000Z',
  billingAnchor: '2027-01-01T00:00:00.000Z',
});
const t = (iso: string) => new Date(iso).getTime();
const canceledAt = (plan: PlanTerms, at: string) => {
  const s = initialState(input(plan));
  closeNow(s, t(at), 'final', 'cancel');
  s.closes = [];
  return s;
};

describe('the late-usage watch of a canceled subscription', () => {
  it('is open for lateUsageDays after the end, with its first check at once', () => {
    const s = canceledAt(daily, '2027-01-01T12:00:00Z');
    const w = startLateUsageWatch(s, t('2027-01-01T12:00:05Z'), 60)!;
    expect(w).toEqual({
      from: '2027-01-01T12:00:00.000Z',
      until: '2027-01-11T12:00:00.000Z',
      nextCheckAt: '2027-01-01T12:00:05.000Z',
      checkSeconds: 60,
      quietChecks: 0,
    });
    expect(lateUsageStep(w, t('2027-01-01T12:00:05Z'))).toEqual({ kind: 'check' });
    afterLateUsageCheck(w, t('2027-01-01T12:00:05Z'), true);
    expect(lateUsageStep(w, t('2027-01-01T12:00:35Z'))).toEqual({ kind: 'wait', ms: 30_000 });
  });

  it('grows the interval fourfold while checks find nothing, up to a week, and starts over once one finds late usage', () => {
    const s = canceledAt({ ...daily, lateUsageDays: 400 }, '2027-01-01T00:00:00Z');
    const w = startLateUsageWatch(s, t('2027-01-01T00:00:00Z'), 60)!;
    const gaps: number[] = [];
    let now = t('2027-01-01T00:00:00Z');
    for (let i = 0; i < 9; i += 1) {
      afterLateUsageCheck(w, now, false);
      gaps.push((t(w.nextCheckAt) - now) / 1000);
      now = t(w.nextCheckAt);
    }
    expect(gaps).toEqual([240, 960, 3840, 15360, 61440, 245760, 604800, 604800, 604800]);
    afterLateUsageCheck(w, now, true);
    expect((t(w.nextCheckAt) - now) / 1000).toBe(60);
  });

  it('looks about a dozen times over a default 35-day horizon', () => {
    const s = canceledAt({ ...daily, lateUsageDays: 35 }, '2027-01-01T00:00:00Z');
    const w = startLateUsageWatch(s, t('2027-01-01T00:00:00Z'))!;
    let checks = 0;
    while (lateUsageStep(w, t(w.nextCheckAt)).kind === 'check') {
      checks += 1;
      afterLateUsageCheck(w, t(w.nextCheckAt), false);
    }
    // At 0; after 240 s … 245 760 s (6 more, 3.8 days in all); weekly at 10.8, 17.8, 24.8 and 31.8
    // days; then at the horizon's end (35 days).
    expect(checks).toBe(12);
  });

  it('takes the period end of a cancellation at period end, and 35 days for runs whose plan terms predate lateUsageDays', () => {
    const { lateUsageDays: _omit, ...old } = daily;
    const s = initialState(input(old));
    s.cancelAtPeriodEnd = true;
    rollIfEnded(s, t('2027-01-02T00:00:00Z'), () => 'final');
    expect(startLateUsageWatch(s, t('2027-01-02T00:00:00Z'))).toMatchObject({
      from: '2027-01-02T00:00:00.000Z',
      until: '2027-02-06T00:00:00.000Z',
      checkSeconds: 60,
    });
  });

  it('is not started for a subscription that has not ended', () => {
    expect(startLateUsageWatch(initialState(input(daily)), t('2027-01-01T12:00:00Z'))).toBeNull();
  });

  it('makes its last check at the horizon end, then ends', () => {
    const s = canceledAt(daily, '2027-01-01T12:00:00Z');
    const w = startLateUsageWatch(s, t('2027-01-11T11:59:00Z'), 3600)!;
    afterLateUsageCheck(w, t('2027-01-11T11:59:00Z'), false);
    expect(w.nextCheckAt).toBe('2027-01-11T12:00:00.000Z');
    expect(lateUsageStep(w, t('2027-01-11T12:00:00Z'))).toEqual({ kind: 'check' });
    afterLateUsageCheck(w, t('2027-01-11T12:00:00Z'), false);
    expect(lateUsageStep(w, t('2027-01-11T12:00:00Z'))).toEqual({ kind: 'ended' });
  });

  it('with lateUsageDays 0 checks once, at the end, and ends', () => {
    const s = canceledAt({ ...daily, lateUsageDays: 0 }, '2027-01-01T12:00:00Z');
    const w = startLateUsageWatch(s, t('2027-01-01T12:00:00Z'))!;
    expect(lateUsageStep(w, t('2027-01-01T12:00:00Z'))).toEqual({ kind: 'check' });
    afterLateUsageCheck(w, t('2027-01-01T12:00:00Z'), false);
    expect(lateUsageStep(w, t('2027-01-01T12:00:00Z'))).toEqual({ kind: 'ended' });
  });

  it('is nudged to check now by arriving events, but not after the horizon', () => {
    const s = canceledAt(daily, '2027-01-01T12:00:00Z');
    const w = startLateUsageWatch(s, t('2027-01-01T12:00:00Z'), 3600)!;
    afterLateUsageCheck(w, t('2027-01-01T12:00:00Z'), false);
    expect(nudgeLateUsage(w, t('2027-01-01T12:10:00Z'))).toBe(true);
    expect(lateUsageStep(w, t('2027-01-01T12:10:00Z'))).toEqual({ kind: 'check' });
    expect(nudgeLateUsage(w, t('2027-01-01T12:10:00Z'))).toBe(false);
    expect(nudgeLateUsage(w, t('2027-01-11T12:00:01Z'))).toBe(false);
  });
});

describe('late-usage invoices', () => {
  it('follow one another: each window starts where the last issued one ended', () => {
    const s = canceledAt(daily, '2027-01-01T12:00:00Z');
    s.lateUsage = startLateUsageWatch(s, t('2027-01-01T12:00:00Z'))!;
    const first = queueLateUsageClose(s, t('2027-01-02T00:00:00Z'), 'a', t('2027-01-02T00:00:00Z'))!;
    expect(first).toMatchObject({
      reason: 'late_usage',
      serviceFrom: '2027-01-01T12:00:00.000Z',
      serviceEnd: '2027-01-02T00:00:00.000Z',
      period: { start: '2027-01-01T12:00:00.000Z', end: '2027-01-02T00:00:00.000Z' },
    });
    s.closes.shift();
    lateUsageInvoiced(s, first);
    expect(queueLateUsageClose(s, t('2027-01-03T00:00:00Z'), 'b', t('2027-01-03T00:00:00Z'))).toMatchObject({
      serviceFrom: '2027-01-02T00:00:00.000Z',
    });
  });

  it('two queued in one instant: once the first is issued the second has an empty window', () => {
    const s = canceledAt(daily, '2027-01-01T12:00:00Z');
    s.lateUsage = startLateUsageWatch(s, t('2027-01-01T12:00:00Z'))!;
    const a = queueLateUsageClose(s, t('2027-01-02T00:00:00Z'), 'a', t('2027-01-02T00:00:00Z'), true)!;
    const b = queueLateUsageClose(s, t('2027-01-02T00:00:00Z'), 'b', t('2027-01-02T00:00:00Z'), true)!;
    expect(s.closes.map((c) => c.invoiceId)).toEqual(['a', 'b']);
    expect(lateUsageWindow(s, a)).toMatchObject({ serviceFrom: '2027-01-01T12:00:00.000Z' });
    lateUsageInvoiced(s, a);
    expect(lateUsageWindow(s, b)).toBeNull();
  });

  it('an invoice-now keeps an earlier invoice-now, and is not replaced by a check', () => {
    const s = canceledAt(daily, '2027-01-01T12:00:00Z');
    s.lateUsage = startLateUsageWatch(s, t('2027-01-01T12:00:00Z'))!;
    queueLateUsageClose(s, t('2027-01-02T00:00:00Z'), 'asked', t('2027-01-02T00:00:00Z'), true);
    queueLateUsageClose(s, t('2027-01-02T00:01:00Z'), 'check', t('2027-01-02T00:01:00Z'));
    expect(s.closes.map((c) => c.invoiceId)).toEqual(['asked', 'check']);
  });

  it('an invoice-now replaces one still in its grace, so one invoice is issued, at once', () => {
    const s = canceledAt({ ...daily, gracePeriodSeconds: 600 }, '2027-01-01T12:00:00Z');
    s.lateUsage = startLateUsageWatch(s, t('2027-01-01T12:00:00Z'))!;
    queueLateUsageClose(s, t('2027-01-02T00:00:00Z'), 'grace', t('2027-01-02T00:10:00Z'));
    queueLateUsageClose(s, t('2027-01-02T00:01:00Z'), 'now', t('2027-01-02T00:01:00Z'), true);
    expect(s.closes.map((c) => [c.invoiceId, c.readyAt])).toEqual([['now', '2027-01-02T00:01:00.000Z']]);
  });

  it('none is queued at the instant the last one ended; invoice-now is open only within the horizon', () => {
    const s = canceledAt(daily, '2027-01-01T12:00:00Z');
    expect(lateUsageOpen(s, t('2027-01-01T12:00:00Z'))).toBe(false);
    s.lateUsage = startLateUsageWatch(s, t('2027-01-01T12:00:00Z'))!;
    expect(queueLateUsageClose(s, t('2027-01-01T12:00:00Z'), 'x', t('2027-01-01T12:00:00Z'))).toBeNull();
    expect(lateUsageOpen(s, t('2027-01-11T12:00:00Z'))).toBe(true);
    expect(lateUsageOpen(s, t('2027-01-11T12:00:00.001Z'))).toBe(false);
  });
});
