import { Decimal, formatAmount, toDecimal, type CurrencyCode, type DecimalLike } from '../money/index.ts';

export type RecurringFees = {
  currency: CurrencyCode;
  interval: 'day' | 'week' | 'month' | 'year';
  intervalCount: number;
  baseFees: DecimalLike;
};

// Months per interval: a year is 12 months, so a week is 12/52 of a month and a day 12/365.
const MONTHS_PER: Record<RecurringFees['interval'], Decimal> = {
  day: new Decimal(12).div(365),
  week: new Decimal(12).div(52),
  month: new Decimal(1),
  year: new Decimal(12),
};

/**
 * Monthly recurring revenue per currency: each base fee divided by the months its interval
 * lasts (intervalCount × months per interval), summed exactly, then rounded once, half-up, to
 * the currency's minor unit. Currencies are kept apart, never converted or added together.
 */
export function monthlyRecurringRevenue(fees: readonly RecurringFees[]): Map<CurrencyCode, string> {
  const sums = new Map<CurrencyCode, Decimal>();
  for (const f of fees) {
    const monthly = toDecimal(f.baseFees).div(MONTHS_PER[f.interval].times(f.intervalCount));
    sums.set(f.currency, (sums.get(f.currency) ?? new Decimal(0)).plus(monthly));
  }
  return new Map([...sums].map(([currency, sum]) => [currency, formatAmount(sum, currency)]));
}
