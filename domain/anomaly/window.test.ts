import { describe, expect, it } from 'vitest';
import { scanWindow } from './window.ts';

describe('scanWindow', () => {
  it('is the last whole interval before the scan, aligned to the epoch', () => {
    expect(scanWindow(new Date('2026-03-01T12:07:31Z'), 5)).toEqual({
      start: new Date('2026-03-01T12:00:00Z'),
      end: new Date('2026-03-01T12:05:00Z'),
    });
  });
  it('a scan exactly on a boundary evaluates the interval that just ended', () => {
    expect(scanWindow(new Date('2026-03-01T12:05:00Z'), 5)).toEqual({
      start: new Date('2026-03-01T12:00:00Z'),
      end: new Date('2026-03-01T12:05:00Z'),
    });
  });
});
