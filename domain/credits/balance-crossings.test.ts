import { describe, expect, it } from 'vitest';
import { creditCrossings } from './balance-crossings.ts';

describe('creditCrossings', () => {
  it('raises credit_low only when the balance goes from at or above the threshold to below it', () => {
    expect(creditCrossings(1000n, 999n, 1000n)).toEqual(['credit_low']);
    expect(creditCrossings(1001n, 1000n, 1000n)).toEqual([]);
    expect(creditCrossings(999n, 500n, 1000n)).toEqual([]);
    expect(creditCrossings(500n, 2000n, 1000n)).toEqual([]);
  });

  it('raises credit_depleted when the balance reaches zero from above it', () => {
    expect(creditCrossings(1n, 0n, null)).toEqual(['credit_depleted']);
    expect(creditCrossings(0n, 0n, null)).toEqual([]);
    expect(creditCrossings(0n, 5n, null)).toEqual([]);
  });

  it('raises both when one write takes the balance from above the threshold to zero', () => {
    expect(creditCrossings(5000n, 0n, 1000n)).toEqual(['credit_low', 'credit_depleted']);
  });

  it('never raises credit_low for a threshold of zero or none', () => {
    expect(creditCrossings(10n, 0n, 0n)).toEqual(['credit_depleted']);
    expect(creditCrossings(10n, 5n, null)).toEqual([]);
  });
});
