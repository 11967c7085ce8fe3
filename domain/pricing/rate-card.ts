import type { Charge, Rate } from './charge-schema.ts';

/** A value of a rate card's `priceBy` property; null stands for usage whose events do not carry it. */
export type DimensionValue = string | null;

/** A charge that prices by a property of the usage: `priceBy` with its `rates`. */
export type RateCardCharge = Exclude<Charge, { model: 'flat' }> & { priceBy: string; rates: Rate[] };

export const isRateCard = (charge: Charge): charge is RateCardCharge => charge.model !== 'flat' && charge.priceBy !== undefined;

/**
 * The pricing a value is rated with: the rate that matches it, else the charge's own pricing (the
 * fallback, which also prices usage without the property). Always a plain charge of the same meter,
 * without priceBy or rates, so rateCharge and the models price it like any other charge.
 */
export function pricingFor(charge: Charge, value: DimensionValue): Charge {
  if (charge.model === 'flat') return charge;
  const { priceBy: _priceBy, rates, ...fallback } = charge;
  const rate = value === null ? undefined : rates?.find((r) => r.match === value);
  if (!rate) return fallback;
  const { match: _match, ...pricing } = rate;
  return { meter: charge.meter, ...pricing };
}

/**
 * The values a rate card bills one line each for: every rate, in the plan's order, even without
 * usage (its minimum and first-tier fee apply, as they do to a charge); then every other value
 * that has usage, in code-unit order; then usage without the property, if any. Each value counts
 * its tiers, free units and minimum on its own.
 */
export function ratedValues(charge: RateCardCharge, measured: Iterable<DimensionValue>): DimensionValue[] {
  const matches = charge.rates.map((r) => r.match);
  const known = new Set<DimensionValue>(matches);
  const others = new Set<DimensionValue>();
  for (const value of measured) if (!known.has(value)) others.add(value);
  const named = [...others].filter((v): v is string => v !== null).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...matches, ...named, ...(others.has(null) ? [null] : [])];
}

/** The dimensions a rate card's line shows: `{"<priceBy>": "<value>"}` (null: events without it). */
export const dimensionsOf = (charge: RateCardCharge, value: DimensionValue): Record<string, DimensionValue> => ({
  [charge.priceBy]: value,
});
