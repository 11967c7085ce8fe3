import { describe, expect, it } from 'vitest';
import { addUtcMonthsClamped, daysInUtcMonth } from './index.ts';

describe('daysInUtcMonth', () => {
  it.each([
    [2024, 1, 29], // leap year: divisible by 4
    [2023, 1, 28],
    [1900, 1, 28], // divisible by 100, not by 400
    [2000, 1, 29], // divisible by 400
    [2024, 3, 30],
    [2024, 11, 31],
    [50, 1, 28], // year 50 is not 1950
    [48, 1, 29],
  ])('%i-%i has %i days', (year, monthIndex, days) => {
    expect(daysInUtcMonth(year, monthIndex)).toBe(days);
  });
});

describe('addUtcMonthsClamped', () => {
  const jan31 = new Date('2024-01-31T23:59:59.999Z');
  it.each([
    [1, '2024-02-29T23:59:59.999Z'],
    [2, '2024-03-31T23:59:59.999Z'],
    [3, '2024-04-30T23:59:59.999Z'],
    [13, '2025-02-28T23:59:59.999Z'],
    [-1, '2023-12-31T23:59:59.999Z'],
    [-2, '2023-11-30T23:59:59.999Z'],
    [-11, '2023-02-28T23:59:59.999Z'],
  ])('Jan 31 + %i months → %s', (months, expected) => {
    expect(addUtcMonthsClamped(jan31, months).toISOString()).toBe(expected);
  });
});
