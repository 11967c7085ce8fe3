import { describe, expect, it } from 'vitest';
import { allocateBurns } from './burn-allocation.ts';
import { creditAmountProblem, includedGrantTerms } from './included-credits.ts';

describe('creditAmountProblem', () => {
  it.each([
    ['25.00', 'USD', null],
    ['25', 'JPY', null],
    ['1.001', 'USD', 'must have at most 2 decimals in USD'],
    ['1.5', 'JPY', 'must have at most 0 decimals in JPY'],
    ['0', 'USD', 'must be greater than 0'],
    ['0.00', 'USD', 'must be greater than 0'],
  ])('%s %s → %s', (amount, currency, problem) => {
    expect(creditAmountProblem(amount, currency, 'included credits')).toBe(problem);
  });

  it('refuses what is not a decimal string, and more than a stored amount holds', () => {
    expect(creditAmountProblem('ten', 'USD', 'x')).toMatch(/decimal/);
    expect(creditAmountProblem('-1', 'USD', 'x')).not.toBeNull();
    expect(creditAmountProblem('92233720368547758.07', 'USD', 'x')).toBeNull();
    expect(creditAmountProblem('92233720368547758.08', 'USD', 'included credits')).toMatch(/^included credits of .* is more than/);
  });
});

describe('includedGrantTerms', () => {
  const period = { start: new Date('2027-03-01T00:00:00Z'), end: new Date('2027-04-01T00:00:00Z') };
  it('without rollover expires when the period is invoiced (its end plus the grace); with rollover never', () => {
    expect(includedGrantTerms({ amount: '25.50', rollover: false }, 'USD', period, 3600)).toEqual({
      amountMinor: 2550n,
      effectiveAt: period.start,
      expiresAt: new Date('2027-04-01T01:00:00Z'),
    });
    expect(includedGrantTerms({ amount: '25.50', rollover: true }, 'USD', period, 3600).expiresAt).toBeNull();
  });
});

describe("allocateBurns' servedUntil", () => {
  const grant = { id: 'g', priority: 0, effectiveAt: new Date('2027-03-01'), expiresAt: new Date('2027-04-01T01:00:00Z'), appliesTo: null };
  const lines = [{ lineId: 'l', meter: null, amountMinor: 1000n, taxMinor: 0n, payableMinor: 1000n }];
  const issuedAt = new Date('2027-04-02T00:00:00Z');
  it('lets credit live at the window’s last instant pay an invoice issued after it expired; without it, nothing pays', () => {
    expect(allocateBurns([{ ...grant, remainingMinor: 2500n }], lines, issuedAt)).toEqual([]);
    expect(allocateBurns([{ ...grant, remainingMinor: 2500n }], lines, issuedAt, new Date('2027-03-31T23:59:59.999Z'))).toEqual([
      { grantId: 'g', lineId: 'l', amountMinor: 1000n },
    ]);
    // Live neither then nor now: not yet effective in the window, already expired at issue.
    const late = { ...grant, effectiveAt: new Date('2027-04-01T00:30:00Z'), remainingMinor: 2500n };
    expect(allocateBurns([late], lines, issuedAt, new Date('2027-03-31T23:59:59.999Z'))).toEqual([]);
  });
});
