import { describe, expect, it } from 'vitest';
import { trialEnd, trialPeriod } from './index.ts';

describe('trial', () => {
  const start = new Date('2024-02-20T15:00:00.000Z');

  it('ends trialDays whole UTC days after the start, where the first paid period begins', () => {
    // Feb 20 + 14 days = Mar 5 in a leap year (9 days left in February, then 5 in March)
    expect(trialEnd(start, 14).toISOString()).toBe('2024-03-05T15:00:00.000Z');
    expect(trialPeriod(start, 14)).toEqual({ start, end: new Date('2024-03-05T15:00:00.000Z') });
  });

  it('is absent with zero days', () => {
    expect(trialEnd(start, 0).getTime()).toBe(start.getTime());
    expect(trialPeriod(start, 0)).toBeNull();
  });

  it('refuses negative or fractional days', () => {
    expect(() => trialEnd(start, -1)).toThrow('trialDays');
    expect(() => trialEnd(start, 1.5)).toThrow('trialDays');
  });
});
