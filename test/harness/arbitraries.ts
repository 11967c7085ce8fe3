// fast-check generators shared by the domain's property tests (test code only).
import fc from 'fast-check';
import { Decimal } from '../../domain/money/index.ts';

/** A non-negative decimal string with up to `maxScale` fractional digits, e.g. "1234.5". */
export function decimalText(options: { max?: bigint; maxScale?: number } = {}): fc.Arbitrary<string> {
  const { max = 10n ** 9n, maxScale = 12 } = options;
  return fc
    .tuple(fc.bigInt({ min: 0n, max }), fc.integer({ min: 0, max: maxScale }))
    .map(([digits, scale]) => new Decimal(digits.toString()).dividedBy(new Decimal(10).pow(scale)).toFixed());
}

/** A positive decimal string (at least one smallest step above zero). */
export function positiveDecimalText(options: { max?: bigint; maxScale?: number } = {}): fc.Arbitrary<string> {
  return decimalText(options).filter((text) => new Decimal(text).gt(0));
}

/** A UTC instant between 1990 and 2060, to the millisecond. */
export const instant: fc.Arbitrary<Date> = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2060, 0, 1) }).map((ms) => new Date(ms));

/**
 * IANA zones whose calendars stress local-time arithmetic: an hour of DST either side of the
 * Atlantic, half an hour (Lord Howe), a quarter-hour offset (Kathmandu), DST that began at
 * midnight (São Paulo until 2019), a zone that once skipped a whole day (Apia, 2011), the far
 * south (Chatham, +12:45/+13:45), and UTC.
 */
export const TIME_ZONES = [
  'UTC',
  'America/New_York',
  'Europe/London',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
  'Pacific/Apia',
  'America/Sao_Paulo',
  'Pacific/Chatham',
  'America/Santiago',
  'Asia/Tehran',
  'Africa/Casablanca',
  'Europe/Berlin',
] as const;

export const timeZone: fc.Arbitrary<string> = fc.constantFrom(...TIME_ZONES);

/** A calendar day as 'YYYY-MM-DD' from `minYear` to `maxYear`, any day of its month. */
export function calendarDay(options: { minYear: number; maxYear: number; days?: number[] }): fc.Arbitrary<string> {
  const { minYear, maxYear, days } = options;
  return fc
    .record({
      year: fc.integer({ min: minYear, max: maxYear }),
      month: fc.integer({ min: 1, max: 12 }),
      day: days ? fc.constantFrom(...days) : fc.integer({ min: 1, max: 31 }),
    })
    .filter(({ year, month, day }) => day <= new Date(Date.UTC(year, month, 0)).getUTCDate())
    .map(({ year, month, day }) => `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`);
}
