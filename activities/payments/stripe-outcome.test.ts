import { describe, expect, it } from 'vitest';
import { outcomeOfPaymentIntent, stripeAmount } from './stripe-outcome.ts';

describe('what a PaymentIntent status means', () => {
  it.each([
    ['succeeded', { outcome: 'succeeded', reference: 'pi_1' }],
    ['processing', { outcome: 'pending', reference: 'pi_1' }],
    ['requires_action', { outcome: 'pending', reference: 'pi_1' }],
    ['requires_payment_method', { outcome: 'declined', reference: 'pi_1', reason: 'insufficient_funds' }],
    ['canceled', { outcome: 'declined', reference: 'pi_1', reason: 'canceled: abandoned' }],
  ])('%s', (status, expected) => {
    const pi = {
      id: 'pi_1',
      status,
      cancellation_reason: 'abandoned',
      last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds' },
    };
    expect(outcomeOfPaymentIntent(pi)).toEqual(expected);
  });

  it('a failed payment without an error says its status', () => {
    expect(outcomeOfPaymentIntent({ id: 'pi_2', status: 'requires_payment_method' })).toMatchObject({ reason: 'requires_payment_method' });
  });
});

describe('Stripe amounts', () => {
  it('passes minor units on exactly, up to the largest a number holds, and refuses the rest', () => {
    expect(stripeAmount(1n)).toBe(1);
    expect(stripeAmount(9_007_199_254_740_991n)).toBe(9_007_199_254_740_991);
    expect(() => stripeAmount(9_007_199_254_740_992n)).toThrow(RangeError);
    expect(() => stripeAmount(0n)).toThrow(RangeError);
  });
});
