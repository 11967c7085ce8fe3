import { z } from 'zod';
import { DecimalFormatError, OutOfRangeError, UnknownCurrencyError } from '../money/index.ts';
import { BILLING_DOMAIN_ERROR, INVOICE_AMOUNT_OUT_OF_RANGE, type BillingFailureType } from './billing-failure-types.ts';

export { BILLING_DOMAIN_ERROR, INVOICE_AMOUNT_OUT_OF_RANGE } from './billing-failure-types.ts';
export type { BillingFailureType } from './billing-failure-types.ts';

/**
 * Which non-retryable billing failure an error is, or null for any other error (a lost connection,
 * a timeout, a bug's TypeError), which a retry may cure or at least must not hide. An amount out of
 * range is a RangeError too, but keeps its own type: the workflow has handled it longer.
 */
export function billingFailureType(err: unknown): BillingFailureType | null {
  if (err instanceof OutOfRangeError) return INVOICE_AMOUNT_OUT_OF_RANGE;
  if (err instanceof RangeError || err instanceof DecimalFormatError || err instanceof UnknownCurrencyError || err instanceof z.ZodError)
    return BILLING_DOMAIN_ERROR;
  return null;
}
