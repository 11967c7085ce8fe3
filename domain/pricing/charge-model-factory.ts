import type { Decimal } from '../money/index.ts';
import type { Charge } from './charge-schema.ts';
import { priceFlat } from './models/flat.ts';
import { priceGraduated } from './models/graduated.ts';
import { pricePackage } from './models/package.ts';
import { pricePerUnit } from './models/per-unit.ts';
import { priceVolume } from './models/volume.ts';
import type { ModelRating } from './rating.ts';

/** Prices an already computed quantity; never looks anything up. */
export type PriceQuantity = (quantity: Decimal) => ModelRating;

/** The pricing function for a charge's model (one pure function per model). */
export function chargeModelFor(charge: Charge): PriceQuantity {
  switch (charge.model) {
    case 'flat':
      return (quantity) => priceFlat(charge, quantity);
    case 'per_unit':
      return (quantity) => pricePerUnit(charge, quantity);
    case 'graduated':
      return (quantity) => priceGraduated(charge, quantity);
    case 'volume':
      return (quantity) => priceVolume(charge, quantity);
    case 'package':
      return (quantity) => pricePackage(charge, quantity);
  }
}
