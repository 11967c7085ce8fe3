import decimalJsDefault from 'decimal.js';
import type { Decimal as DecimalJsInstance } from 'decimal.js';

// decimal.js ships one CommonJS-style declaration file for both builds, so TypeScript types the
// default import as the module object; Node loads decimal.mjs, whose default is the constructor.
const DecimalJs = decimalJsDefault as unknown as typeof DecimalJsInstance;

/**
 * The one decimal type for amounts, prices and quantities.
 *
 * A clone, so no other code (or library) that calls `Decimal.set` on the shared decimal.js
 * constructor can change how money is computed. 100 significant digits keep every product in
 * pricing exact: a quantity or price has at most 30 integer and 12 fractional digits (42 digits),
 * so a product has at most 84. Proration results keep up to ~65 fractional digits, which also fit.
 * HALF_UP is the rounding the domain documents; decimal.js applies it away from zero for
 * negatives (-2.5 → -3), so a credit rounds like the charge it reverses.
 * The exponent limits keep toString() from ever switching to exponential notation.
 */
export const Decimal = DecimalJs.clone({
  precision: 100,
  rounding: DecimalJs.ROUND_HALF_UP,
  toExpNeg: -9e15,
  toExpPos: 9e15,
});
export type Decimal = DecimalJsInstance;

/** What domain functions accept where a decimal is expected. Never a JS number. */
export type DecimalLike = Decimal | string | bigint;

export const ZERO: Decimal = new Decimal('0');

/** True for a decimal.js instance from any clone (ours or a caller's). */
export function isDecimal(value: unknown): value is Decimal {
  return DecimalJs.isDecimal(value);
}
