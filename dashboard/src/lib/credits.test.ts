import { describe, expect, it } from 'vitest';
import { burnDown, grantRequest, utcDateTime } from './credits.ts';

const entry = (at: string, amount: string, balanceAfter: string) => ({
  id: crypto.randomUUID(),
  at,
  kind: 'grant' as const,
  amount,
  grantId: crypto.randomUUID(),
  balanceAfter,
});
const balance = (remaining: string, pendingUsage: string) => ({
  tenantId: crypto.randomUUID(),
  currency: 'USD',
  granted: remaining,
  consumed: '0.00',
  expired: '0.00',
  remaining,
  pendingUsage,
  available: '0.00',
  asOf: '2026-03-20T00:00:00Z',
  grants: [],
});

describe('burnDown', () => {
  const period = {
    from: '2026-03-01T00:00:00.000Z',
    to: '2026-04-01T00:00:00.000Z',
    opening: '5.00',
    entries: [entry('2026-03-03T10:00:00.000Z', '100.00', '105.00'), entry('2026-03-10T10:00:00.000Z', '-20.00', '85.00')],
  };

  it('steps the ledger balance from the opening through each entry to now, and ends "available" below it by the pending usage', () => {
    const chart = burnDown(period, balance('85.00', '12.34'), '2026-03-20T12:00:00.000Z');
    expect(chart.labels).toEqual(['1 Mar, 00:00', '3 Mar, 10:00', '10 Mar, 10:00', '20 Mar, 12:00']);
    expect(chart.series).toEqual([
      { label: 'Ledger balance', data: [5, 105, 85, 85] },
      { label: 'Available (after usage not yet invoiced)', data: [5, null, null, 72.66] },
    ]);
  });

  it('goes below zero when the usage outran the credit', () => {
    const chart = burnDown({ ...period, opening: '0.00', entries: [] }, balance('0.00', '3.10'), '2026-03-02T00:00:00.000Z');
    expect(chart.series[1]!.data).toEqual([0, -3.1]);
  });

  it('draws the ledger alone when the pending usage cannot be priced', () => {
    const chart = burnDown(period, null, '2026-03-20T12:00:00.000Z');
    expect(chart.series).toEqual([{ label: 'Ledger balance', data: [5, 105, 85] }]);
  });
});

describe('grantRequest', () => {
  const form = (fields: [string, string][]) => {
    const f = new FormData();
    for (const [k, v] of fields) f.append(k, v);
    return f;
  };

  it('sends what was filled in, dates as UTC, meters as a list', () => {
    const { body, values } = grantRequest(
      form([
        ['amount', ' 100.00 '],
        ['currency', 'USD'],
        ['priority', '2'],
        ['effectiveAt', '2026-12-02T09:30'],
        ['expiresAt', '2027-01-01T00:00'],
        ['appliesTo', 'calls'],
        ['appliesTo', 'tokens'],
        ['reason', 'launch promo'],
      ]),
    );
    expect(body).toEqual({
      amount: '100.00',
      currency: 'USD',
      priority: 2,
      effectiveAt: '2026-12-02T09:30:00Z',
      expiresAt: '2027-01-01T00:00:00Z',
      appliesTo: ['calls', 'tokens'],
      reason: 'launch promo',
    });
    expect(values.amount).toBe('100.00');
  });

  it('leaves empty optional fields out, so the API defaults apply', () => {
    const { body } = grantRequest(
      form([
        ['amount', '1'],
        ['currency', 'EUR'],
        ['priority', ''],
        ['effectiveAt', ''],
        ['reason', 'r'],
      ]),
    );
    expect(body).toEqual({ amount: '1', currency: 'EUR', reason: 'r' });
  });

  it('sends a priority that is not a whole number as typed, for the API to name the field', () => {
    expect(grantRequest(form([['priority', '1.5']])).body.priority).toBe('1.5');
    expect(utcDateTime('tomorrow')).toBe('tomorrow');
    expect(utcDateTime('2026-12-02T09:30:15')).toBe('2026-12-02T09:30:15Z');
  });
});
