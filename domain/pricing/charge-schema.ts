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
function chargeOf<M extends ChargeModel, S extends z.ZodRawShape>(model: M, shape: S) {
  return z.strictObject(
    { meter: meterCode, model: z.literal(model), ...shape, minimum: price.optional() },
    {
      error: (issue) => (issue.code === 'unrecognized_keys' ? `${issue.keys.join(', ')} not used by the ${model} model` : undefined),
    },
  );
}

export const flatChargeSchema = chargeOf('flat', { amount: price });
export const perUnitChargeSchema = chargeOf('per_unit', { unitPrice: price, freeUnits: price.optional() });
export const graduatedChargeSchema = chargeOf('graduated', { tiers: tiersSchema, freeUnits: price.optional() });
export const volumeChargeSchema = chargeOf('volume', { tiers: tiersSchema, freeUnits: price.optional() });
export const packageChargeSchema = chargeOf('package', {
  packageSize: packageSizeSchema,
  packagePrice: price,
  freeUnits: price.optional(),
});

/** One charge of a plan; `model` selects which of the other fields apply and are required. */
export const chargeSchema = z.discriminatedUnion(
  'model',
  [flatChargeSchema, perUnitChargeSchema, graduatedChargeSchema, volumeChargeSchema, packageChargeSchema],
  { error: `model must be one of ${CHARGE_MODELS.join(', ')}` },
);

export type Charge = z.output<typeof chargeSchema>;
export type FlatCharge = z.output<typeof flatChargeSchema>;
export type PerUnitCharge = z.output<typeof perUnitChargeSchema>;
export type GraduatedCharge = z.output<typeof graduatedChargeSchema>;
export type VolumeCharge = z.output<typeof volumeChargeSchema>;
export type PackageCharge = z.output<typeof packageChargeSchema>;
