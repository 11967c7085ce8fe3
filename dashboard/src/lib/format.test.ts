import { describe, expect, it } from 'vitest';
import { decimal, money, trimZeros } from './format.ts';

describe('format', () => {
  it('groups digits without going through a float', () => {
    expect(decimal('12345678901234567890.123456789012')).toBe('12,345,678,901,234,567,890.123456789012');
  });
  it('shows money with at least two decimals and no useless zeros', () => {
    expect(trimZeros('500.000000000000')).toBe('500.00');
    expect(trimZeros('0.002500')).toBe('0.0025');
    expect(money('1234.5', 'USD')).toBe('$1,234.50');
    expect(money('-3.10', 'EUR')).toBe('−€3.10');
    expect(money('7', 'CHF')).toBe('7.00 CHF');
    expect(money('0')).toBe('$0.00');
  });
});
