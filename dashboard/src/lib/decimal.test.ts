import { describe, expect, it } from 'vitest';
import { subtractDecimals, sumDecimals } from './decimal.ts';

describe('decimal sums', () => {
  it('adds money exactly', () => {
    expect(sumDecimals(['0.1', '0.2'])).toBe('0.3');
    expect(sumDecimals(['12345678901234.10', '0.000000000001', null])).toBe('12345678901234.100000000001');
    expect(subtractDecimals('10.00', '12.5')).toBe('-2.5');
  });
});
