import { Decimal } from '../money/index.ts';

type ReviverContext = { source?: string };
const parseWithSource = JSON.parse as unknown as (
  text: string,
  reviver: (this: unknown, key: string, value: unknown, context?: ReviverContext) => unknown,
) => unknown;

const RISKY_NUMBER = /[0-9][0-9.]{15}|[0-9][eE][+-]?[0-9]|0\.000000/;

// Exponents beyond this are left as sent instead of being expanded (1e999999 would be a
// million digits); no metered value can be that large or that small anyway.
const MAX_EXPANDED_EXPONENT = 64;

/**
 * JSON.parse that never turns a number into a float that differs from what was sent.
 *
 * The reviver's third argument (`context.source`, Node 24) holds each number's source
 * text. A number stays a JSON number only when its double holds exactly the value sent
 * (at most 15 significant digits: `42`, `12.5`, `1.50`) and prints without an exponent:
 * JavaScript and ClickHouse both print doubles in shortest round-trip form, so such a
 * number reads back with the same value everywhere (`1.50` as `1.5`). Any other number
 * (`0.1000000000000000000001`, `12345678901234567890`, `1e3`) becomes a decimal string
 * of its exact value, with exponents expanded to plain digits; that is also how it is
 * stored. Metered values accept numbers and decimal strings alike, so nothing is lost:
 * only the JSON type of such a number changes, never its value.
 */
export function parseJsonLossless(text: string): unknown {
  // Fast path (the reviver costs several times JSON.parse): a number with at most 15
  // significant digits is recovered exactly from its double, and prints back without an
  // exponent unless it is below 1e-6. So when the text has no run of 16+ digits (or digits
  // and a point), no exponent and no 0.000000…, plain JSON.parse gives the same values.
  // Digits inside strings can only make this check send more bodies the slow way.
  if (!RISKY_NUMBER.test(text)) return JSON.parse(text);
  return parseWithSource(text, (_key, value, context) => {
    if (typeof value !== 'number') return value;
    const source = context?.source;
    if (source === undefined) return value;
    // The same rule as the fast path: exact through a double (≤ 15 significant digits, or
    // printing back as sent) and printed without an exponent.
    if (!/[eE]/.test(source) && !String(value).includes('e') && (String(value) === source || significantDigits(source) <= 15)) return value;
    return positional(source);
  });
}

const significantDigits = (plain: string) => plain.replace('-', '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;

/** `1.5e3` → `1500`; plain text is returned unchanged. */
function positional(source: string): string {
  const e = source.search(/[eE]/);
  if (e < 0) return source;
  const exponent = Number(source.slice(e + 1));
  if (!Number.isFinite(exponent) || Math.abs(exponent) > MAX_EXPANDED_EXPONENT) return source;
  return new Decimal(source).toFixed();
}

/** The exact decimal text of a JSON value that is a number or a numeric string, else null. */
export function numericText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  return null;
}
