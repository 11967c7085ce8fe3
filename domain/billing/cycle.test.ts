import { describe, expect, it } from 'vitest';
import { addPart, firstCyclePeriod, followingPeriod, partWindows } from './index.ts';

const d = (iso: string) => new Date(iso);
const monthly = { interval: 'month' as const, intervalCount: 1, trialDays: 0 };

describe('firstCyclePeriod', () => {
  it('starts a monthly schedule at startAt, keeping an anchor on the 31st', () => {
    const first = firstCyclePeriod({ startAt: d('2026-01-31T00:00:00Z'), terms: monthly });
    expect(first).toEqual({
      kind: 'paid',
      start: d('2026-01-31T00:00:00Z'),
      end: d('2026-02-28T00:00:00Z'),
      anchor: d('2026-01-31T00:00:00Z'),
      serviceFrom: d('2026-01-31T00:00:00Z'),
    });
    const second = followingPeriod(first, monthly);
    expect([second.start, second.end, second.serviceFrom]).toEqual([
      d('2026-02-28T00:00:00Z'),
      d('2026-03-31T00:00:00Z'),
      d('2026-02-28T00:00:00Z'),
    ]);
    expect(followingPeriod(second, monthly).end).toEqual(d('2026-04-30T00:00:00Z'));
  });

  it('puts a trial first; its end anchors the paid periods', () => {
    const trial = firstCyclePeriod({
      startAt: d('2026-03-01T12:00:00Z'),
      billingAnchor: d('2026-03-05T00:00:00Z'),
      terms: { ...monthly, trialDays: 14 },
    });
    expect(trial).toMatchObject({
      kind: 'trial',
      start: d('2026-03-01T12:00:00Z'),
      end: d('2026-03-15T12:00:00Z'),
      anchor: d('2026-03-15T12:00:00Z'),
    });
    const paid = followingPeriod(trial, monthly);
    expect(paid).toEqual({
      kind: 'paid',
      start: d('2026-03-15T12:00:00Z'),
      end: d('2026-04-15T12:00:00Z'),
      anchor: d('2026-03-15T12:00:00Z'),
      serviceFrom: d('2026-03-15T12:00:00Z'),
    });
  });

  it('starts service mid-period when startAt is between anchors', () => {
    const first = firstCyclePeriod({ startAt: d('2026-01-15T00:00:00Z'), billingAnchor: d('2026-01-31T00:00:00Z'), terms: monthly });
    expect(first).toMatchObject({
      start: d('2025-12-31T00:00:00Z'),
      end: d('2026-01-31T00:00:00Z'),
      serviceFrom: d('2026-01-15T00:00:00Z'),
    });
  });

  it('re-anchors the following period at an early close', () => {
    const first = firstCyclePeriod({ startAt: d('2026-01-31T00:00:00Z'), terms: monthly });
    const next = followingPeriod(first, { interval: 'week', intervalCount: 2, trialDays: 0 }, d('2026-02-10T06:00:00Z'));
    expect(next).toEqual({
      kind: 'paid',
      start: d('2026-02-10T06:00:00Z'),
      end: d('2026-02-24T06:00:00Z'),
      anchor: d('2026-02-10T06:00:00Z'),
      serviceFrom: d('2026-02-10T06:00:00Z'),
    });
  });
});

describe('parts', () => {
  const start = d('2026-04-01T00:00:00Z');
  const change = d('2026-04-11T00:00:00Z');
  const end = d('2026-05-01T00:00:00Z');

  it('splits at a change; the change instant belongs to the new part', () => {
    const parts = addPart([{ from: start, plan: 'old' }], change, 'new');
    expect(partWindows(parts, end)).toEqual([
      { start, end: change, plan: 'old' },
      { start: change, end, plan: 'new' },
    ]);
  });

  it('replaces the plan of a part that has not started yet, and drops empty parts', () => {
    expect(addPart([{ from: start, plan: 'old' }], start, 'new')).toEqual([{ from: start, plan: 'new' }]);
    expect(
      partWindows(
        [
          { from: start, plan: 'a' },
          { from: change, plan: 'b' },
        ],
        change,
      ),
    ).toEqual([{ start, end: change, plan: 'a' }]);
  });

  it('refuses a change before the current part', () => {
    expect(() => addPart([{ from: change, plan: 'a' }], start, 'b')).toThrow('cannot precede');
  });
});
