import type { Decimal } from '../money/index.ts';
import type { ChargeModel } from './charge-schema.ts';

/** What one tier contributed to a graduated or volume charge; the invoice line shows these. */
export interface TierLine {
  /** Index of the tier in the charge's tiers. */
  tier: number;
  /** Exclusive lower edge: the previous tier's upTo, 0 for the first tier. */
  from: Decimal;
  upTo: Decimal | null;
  quantity: Decimal;
  unitPrice: Decimal;
  flatFee: Decimal;
  /** quantity × unitPrice + flatFee, exact (not rounded). */
  amount: Decimal;
}

/** What a charge model computes from the quantity it is given. */
export interface ModelRating {
  amount: Decimal;
  /** Tiers reached (graduated) or the tier applied (volume); empty for the other models. */
  tiers: TierLine[];
  /** Packages billed (package model only). */
  packages?: Decimal;
}

/** A charge rated for one period: the model's result with free units and the minimum applied. */
export interface ChargeRating extends ModelRating {
  meter: string;
  model: ChargeModel;
  /** Usage as measured for the period. */
  quantity: Decimal;
  /** Free units actually used: min(freeUnits, quantity). */
  freeUnits: Decimal;
  /** quantity − freeUnits (never below 0): what the model priced. */
  billableQuantity: Decimal;
  /** The model's amount before the minimum. */
  modelAmount: Decimal;
  /** What the minimum added: max(minimum − modelAmount, 0). */
  minimumTopUp: Decimal;
  /** modelAmount + minimumTopUp, exact: rounded once, later, as an invoice line. */
  amount: Decimal;
}
