import { z } from 'zod';
import { nonNegativeDecimalString } from '../money/index.ts';
import { tiersSchema } from './tier-schema.ts';

export const CHARGE_MODELS = ['flat', 'per_unit', 'graduated', 'volume', 'package'] as const;
export type ChargeModel = (typeof CHARGE_MODELS)[number];

const price = nonNegativeDecimalString;

const meterCode = z
  .string({ error: 'is required: the code of the meter this charge rates' })
  .min(1, { error: 'must not be empty' })
  .max(200, { error: 'must be at most 200 characters' });

/** A positive whole number, as a JSON number or a numeric string; never used as a JS float. */
const PACKAGE_SIZE_MESSAGE = 'must be a positive whole number, as a JSON number or a numeric string such as "100"';
export const packageSizeSchema = z.union(
  [
    z
      .number({ error: PACKAGE_SIZE_MESSAGE })
      .int({ error: PACKAGE_SIZE_MESSAGE })
      .min(1, { error: PACKAGE_SIZE_MESSAGE })
      .max(Number.MAX_SAFE_INTEGER, { error: PACKAGE_SIZE_MESSAGE }),
    z.string().regex(/^[1-9]\d{0,17}$/, { error: PACKAGE_SIZE_MESSAGE }),
  ],
  { error: PACKAGE_SIZE_MESSAGE },
);

// A field that belongs to another model is refused rather than silently ignored: a per_unit
// charge carrying tiers is almost certainly a mistake in the plan.
const strictModel = (model: ChargeModel) => ({
  error: (issue: { code: string; keys?: string[] }) =>
    issue.code === 'unrecognized_keys' ? `${issue.keys!.join(', ')} not used by the ${model} model` : undefined,
});

function chargeOf<M extends ChargeModel, S extends z.ZodRawShape>(model: M, shape: S) {
  return z.strictObject({ meter: meterCode, model: z.literal(model), ...shape, minimum: price.optional() }, strictModel(model));
}

export const MAX_RATES = 100;

/** The value of the `priceBy` property a rate prices, exactly as the events carry it. */
const rateMatch = z
  .string({ error: 'is required: the value of the priceBy property this rate prices' })
  .min(1, { error: 'must not be empty' })
  .max(200, { error: 'must be at most 200 characters' });

/** A rate of a rate card: a full pricing (any usage model) for one value of the charge's `priceBy` property. */
function rateOf<M extends ChargeModel, S extends z.ZodRawShape>(model: M, shape: S) {
  return z.strictObject({ match: rateMatch, model: z.literal(model), ...shape, minimum: price.optional() }, strictModel(model));
}

const perUnitFields = { unitPrice: price, freeUnits: price.optional() };
const tieredFields = { tiers: tiersSchema, freeUnits: price.optional() };
const packageFields = { packageSize: packageSizeSchema, packagePrice: price, freeUnits: price.optional() };

export const USAGE_MODELS = ['per_unit', 'graduated', 'volume', 'package'] as const;
export type UsageModel = (typeof USAGE_MODELS)[number];

/** One rate: `match` and a pricing of its own. A flat amount prices no usage, so it is not a rate. */
export const rateSchema = z.discriminatedUnion(
  'model',
  [rateOf('per_unit', perUnitFields), rateOf('graduated', tieredFields), rateOf('volume', tieredFields), rateOf('package', packageFields)],
  { error: `model must be one of ${USAGE_MODELS.join(', ')}` },
);
export type Rate = z.output<typeof rateSchema>;

// A usage charge may be a rate card: `priceBy` names one of its meter's groupBy properties and
// `rates` prices some of its values; the charge's own pricing is the fallback for every other value.
const rateCard = {
  priceBy: z
    .string({ error: 'must be the name of a groupBy property of the meter' })
    .min(1, { error: 'must not be empty' })
    .max(200, { error: 'must be at most 200 characters' })
    .optional(),
  rates: z
    .array(rateSchema, { error: 'must be a list of rates' })
    .min(1, { error: 'must have at least one rate' })
    .max(MAX_RATES, { error: `must have at most ${MAX_RATES} rates` })
    .optional(),
};

export const flatChargeSchema = chargeOf('flat', { amount: price });
export const perUnitChargeSchema = chargeOf('per_unit', { ...perUnitFields, ...rateCard });
export const graduatedChargeSchema = chargeOf('graduated', { ...tieredFields, ...rateCard });
export const volumeChargeSchema = chargeOf('volume', { ...tieredFields, ...rateCard });
export const packageChargeSchema = chargeOf('package', { ...packageFields, ...rateCard });

/** One charge of a plan; `model` selects which of the other fields apply and are required. */
export const chargeSchema = z
  .discriminatedUnion('model', [flatChargeSchema, perUnitChargeSchema, graduatedChargeSchema, volumeChargeSchema, packageChargeSchema], {
    error: `model must be one of ${CHARGE_MODELS.join(', ')}`,
  })
  .superRefine(checkRateCard);

/** priceBy and rates come together, and each value has one rate (which one would apply otherwise?). */
function checkRateCard(input: { model: ChargeModel }, ctx: z.RefinementCtx): void {
  const charge = input as { priceBy?: string; rates?: readonly { match: string }[] };
  if (charge.priceBy !== undefined && charge.rates === undefined)
    ctx.addIssue({ code: 'custom', path: ['rates'], message: 'is required with priceBy: the rates of the values priced apart' });
  if (charge.rates !== undefined && charge.priceBy === undefined)
    ctx.addIssue({ code: 'custom', path: ['priceBy'], message: 'is required with rates: the property whose values the rates match' });
  const first = new Map<string, number>();
  (charge.rates ?? []).forEach((rate, i) => {
    const earlier = first.get(rate.match);
    if (earlier === undefined) first.set(rate.match, i);
    else ctx.addIssue({ code: 'custom', path: ['rates', i, 'match'], message: `repeats rates[${earlier}].match: each value has one rate` });
  });
}

export type Charge = z.output<typeof chargeSchema>;
export type FlatCharge = z.output<typeof flatChargeSchema>;
export type PerUnitCharge = z.output<typeof perUnitChargeSchema>;
export type GraduatedCharge = z.output<typeof graduatedChargeSchema>;
export type VolumeCharge = z.output<typeof volumeChargeSchema>;
export type PackageCharge = z.output<typeof packageChargeSchema>;
