import { z } from 'zod';

/** An ISO 4217 alphabetic code such as "USD". */
export type CurrencyCode = string;

// The runtime's ICU data is the maintained list: no hand-written table to drift out of date.
const SUPPORTED = new Set(Intl.supportedValuesOf('currency'));
const digitsCache = new Map<CurrencyCode, number>();

export function isCurrencyCode(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && SUPPORTED.has(code);
}

export class UnknownCurrencyError extends Error {
  override name = 'UnknownCurrencyError';
}

/**
 * Digits of the currency's minor unit (USD 2, JPY 0, BHD 3), as ICU/CLDR knows them. Billing
 * and quotes both read them from here, so they always agree.
 */
export function minorUnitDigits(currency: CurrencyCode): number {
  const cached = digitsCache.get(currency);
  if (cached !== undefined) return cached;
  if (!isCurrencyCode(currency)) throw new UnknownCurrencyError(`unknown currency code ${JSON.stringify(currency)}`);
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  if (digits === undefined) throw new UnknownCurrencyError(`no minor unit known for ${currency}`);
  digitsCache.set(currency, digits);
  return digits;
}

export const currencyCode = z
  .string({ error: 'must be an ISO 4217 currency code such as "USD"' })
  .refine(isCurrencyCode, { error: 'must be an ISO 4217 currency code in upper case, such as "USD"' })
  // The codes the refinement accepts, as a pattern (an enum would make every generated client
  // type a union of 160 literals), so a client can tell before sending.
  .meta({ pattern: `^(${[...SUPPORTED].filter(isCurrencyCode).sort().join('|')})$` });
