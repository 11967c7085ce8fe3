import { describe, expect, it } from 'vitest';
import { monthWindow, recentWindow } from './windows.ts';

describe('windows', () => {
  const now = Date.parse('2026-03-15T10:17:42Z');

  it('covers 30 whole days, today included', () => {
    expect(recentWindow('day', now)).toEqual({ from: '2026-02-14T00:00:00.000Z', to: '2026-03-16T00:00:00.000Z' });
  });

  it('aligns hours and minutes to their buckets', () => {
    expect(recentWindow('hour', now).to).toBe('2026-03-15T11:00:00.000Z');
    expect(recentWindow('minute', now)).toEqual({ from: '2026-03-15T08:18:00.000Z', to: '2026-03-15T10:18:00.000Z' });
  });

  it('gives the calendar month in UTC', () => {
    expect(monthWindow(new Date(now))).toEqual({ from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' });
  });
});
