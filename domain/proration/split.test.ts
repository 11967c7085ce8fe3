import { describe, expect, it } from 'vitest';
import { periodContains } from '../periods/index.ts';
import { sideOfChange, splitPeriodAt } from './index.ts';

const period = { start: new Date('2024-03-01T00:00:00.000Z'), end: new Date('2024-04-01T00:00:00.000Z') };
const change = new Date('2024-03-10T12:00:00.000Z');

describe('splitPeriodAt', () => {
  it('gives [start, at) and [at, end)', () => {
    expect(splitPeriodAt(period, change)).toEqual({
      before: { start: period.start, end: change },
      after: { start: change, end: period.end },
    });
  });

  it('allows a change at either edge, leaving one side empty', () => {
    expect(splitPeriodAt(period, period.start).before).toEqual({ start: period.start, end: period.start });
    expect(splitPeriodAt(period, period.end).after).toEqual({ start: period.end, end: period.end });
  });

  it('refuses an instant outside the period', () => {
    expect(() => splitPeriodAt(period, new Date('2024-04-01T00:00:00.001Z'))).toThrow('within the period');
  });
});

describe('an event at exactly the change instant', () => {
  it('belongs to the new side', () => {
    const { before, after } = splitPeriodAt(period, change);
    expect(sideOfChange(change, change)).toBe('after');
    expect(periodContains(after, change)).toBe(true);
    expect(periodContains(before, change)).toBe(false);
  });

  it('one millisecond earlier belongs to the old side', () => {
    expect(sideOfChange(change, new Date(change.getTime() - 1))).toBe('before');
  });
});
