import { describe, expect, it } from 'vitest';
import { UnknownCurrencyError, currencyCode, isCurrencyCode, minorUnitDigits } from './index.ts';

describe('minorUnitDigits', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['BHD', 3],
    ['KWD', 3],
  ])('%s has %i digits', (currency, digits) => {
    expect(minorUnitDigits(currency)).toBe(digits);
  });

  it.each(['usd', 'XYZ', 'US', 'USDX', ''])('refuses %j', (code) => {
    expect(isCurrencyCode(code)).toBe(false);
    expect(() => minorUnitDigits(code)).toThrow(UnknownCurrencyError);
  });
});

describe('currencyCode schema', () => {
  it('accepts an upper-case ISO 4217 code', () => {
    expect(currencyCode.parse('BHD')).toBe('BHD');
  });

  it('explains a lower-case code', () => {
    const result = currencyCode.safeParse('eur');
    expect(result.error?.issues[0]?.message).toContain('ISO 4217');
  });
});
