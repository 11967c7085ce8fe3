export { Decimal, ZERO, isDecimal } from './decimal.ts';
export type { DecimalLike } from './decimal.ts';
export {
  MAX_FRACTION_DIGITS,
  MAX_INTEGER_DIGITS,
  DecimalFormatError,
  decimalStringPattern,
  decimalStringProblem,
  parseDecimal,
  toDecimal,
  toDecimalString,
} from './decimal-string.ts';
export type { DecimalStringRules } from './decimal-string.ts';
export { decimalString, decimalStringSchema, nonNegativeDecimalString } from './decimal-schema.ts';
export { UnknownCurrencyError, currencyCode, isCurrencyCode, minorUnitDigits } from './currency.ts';
export type { CurrencyCode } from './currency.ts';
export { formatAmount, fromMinorUnits, roundToMinor, toMinorUnits } from './minor-units.ts';
export {
  MAX_STORED_MINOR_UNITS,
  OutOfRangeError,
  maxStoredAmount,
  storedAmountProblem,
  toStoredDecimal,
  toStoredMinorUnits,
} from './stored-range.ts';
