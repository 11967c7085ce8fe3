export {
  CHARGE_MODELS,
  MAX_RATES,
  USAGE_MODELS,
  rateSchema,
  chargeSchema,
  flatChargeSchema,
  graduatedChargeSchema,
  packageChargeSchema,
  packageSizeSchema,
  perUnitChargeSchema,
  volumeChargeSchema,
} from './charge-schema.ts';
export type {
  Charge,
  ChargeModel,
  Rate,
  UsageModel,
  FlatCharge,
  GraduatedCharge,
  PackageCharge,
  PerUnitCharge,
  VolumeCharge,
} from './charge-schema.ts';
export { MAX_TIERS, tierSchema, tiersSchema } from './tier-schema.ts';
export type { Tier } from './tier-schema.ts';
export {
  DEFAULT_GRACE_PERIOD_SECONDS,
  DEFAULT_LATE_USAGE_DAYS,
  DEFAULT_PLAN_VISIBILITY,
  MAX_CHARGES,
  MAX_LATE_USAGE_DAYS,
  PLAN_VISIBILITIES,
  planSchema,
  planVisibilitySchema,
} from './plan-schema.ts';
export type { Plan, PlanInput, PlanVisibility } from './plan-schema.ts';
export { chargeModelFor } from './charge-model-factory.ts';
export type { PriceQuantity } from './charge-model-factory.ts';
export { priceFlat } from './models/flat.ts';
export { priceGraduated } from './models/graduated.ts';
export { pricePackage } from './models/package.ts';
export { pricePerUnit } from './models/per-unit.ts';
export { priceVolume } from './models/volume.ts';
export { rateCharge } from './rate-charge.ts';
export type { PartShare } from './rate-charge.ts';
export type { ChargeRating, ModelRating, TierLine } from './rating.ts';
export { quotePlan, quoteRangeProblem, quoteUsageProblem } from './quote-plan.ts';
export { dimensionsOf, isRateCard, pricingFor, ratedValues } from './rate-card.ts';
export type { DimensionValue, RateCardCharge } from './rate-card.ts';
export { tierBreakdown, totalsWithTax } from './priced-amounts.ts';
export type { TierBreakdown } from './priced-amounts.ts';
export type { Quote, QuoteLine, QuotablePlan, QuoteTierLine, Usage } from './quote-plan.ts';
