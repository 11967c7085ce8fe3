import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OutOfRangeError, minorUnitDigits, parseDecimal, toStoredMinorUnits } from '../money/index.ts';
import { planSchema } from '../pricing/index.ts';
import { prorateForPart } from '../proration/index.ts';
import { BILLING_DOMAIN_ERROR, INVOICE_AMOUNT_OUT_OF_RANGE, billingFailureType, invoiceLines } from './index.ts';

// Which errors of an invoice step are for good (a retry meets them again) and which may pass.

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
};

const april = { start: new Date('2026-04-01T00:00:00Z'), end: new Date('2026-05-01T00:00:00Z') };

describe('billingFailureType', () => {
  it('an amount an invoice cannot store keeps its own type, though it is a RangeError', () => {
    const err = thrown(() => toStoredMinorUnits('1' + '0'.repeat(30), 'USD', 'line "x"'));
    expect(err).toBeInstanceOf(OutOfRangeError);
    expect(err).toBeInstanceOf(RangeError);
    expect(billingFailureType(err)).toBe(INVOICE_AMOUNT_OUT_OF_RANGE);
  });

  it("the domain's RangeErrors are domain errors: proration outside the period, a currency that differs", () => {
    expect(
      billingFailureType(thrown(() => prorateForPart('10', april, { start: april.start, end: new Date('2026-05-02T00:00:00Z') }))),
    ).toBe(BILLING_DOMAIN_ERROR);
    const plan = planSchema.parse({ code: 'p', name: 'P', currency: 'EUR', interval: 'month', baseFee: '1', charges: [] });
    const mismatch = thrown(() =>
      invoiceLines({
        currency: 'USD',
        period: april,
        parts: [{ window: april, plan, planRef: { planId: 'p', version: 1 }, usage: {} }],
      }),
    );
    expect(mismatch).toBeInstanceOf(RangeError);
    expect(billingFailureType(mismatch)).toBe(BILLING_DOMAIN_ERROR);
  });

  it("the domain's validation errors are domain errors: a malformed decimal, an unknown currency, a schema refusal", () => {
    expect(billingFailureType(thrown(() => parseDecimal('1e5')))).toBe(BILLING_DOMAIN_ERROR);
    expect(billingFailureType(thrown(() => minorUnitDigits('XXQ')))).toBe(BILLING_DOMAIN_ERROR);
    expect(billingFailureType(thrown(() => planSchema.parse({ code: 'p', currency: 'USD' })))).toBe(BILLING_DOMAIN_ERROR);
    expect(billingFailureType(thrown(() => z.string().parse(1)))).toBe(BILLING_DOMAIN_ERROR);
  });

  it('anything else may be cured by a retry, or is a bug to surface: not a billing failure', () => {
    expect(billingFailureType(new Error('connection terminated unexpectedly'))).toBeNull();
    expect(billingFailureType(thrown(() => (null as unknown as { x: number }).x))).toBeNull(); // a TypeError
    expect(billingFailureType(Object.assign(new Error('timeout'), { name: 'RangeError' }))).toBeNull(); // named so, not one
    expect(billingFailureType('RangeError')).toBeNull();
    expect(billingFailureType(undefined)).toBeNull();
  });
});
