import { describe, expect, it } from 'vitest';
import { beyondLateUsageHorizon, canceledBillersOf, type LateUsageBiller } from './late-usage-horizon.ts';

const t = (iso: string) => new Date(iso).getTime();
const biller = (o: Partial<LateUsageBiller>): LateUsageBiller => ({
  subscriptionId: 's1',
  eventTypes: ['call'],
  start: t('2027-01-01T00:00:00Z'),
  end: null,
  horizonFrom: t('2027-03-01T00:00:00Z'),
  canceled: false,
  ...o,
});

describe('beyondLateUsageHorizon', () => {
  it('is true for an event before the horizon of the only subscription that could bill it, false from the horizon on', () => {
    expect(beyondLateUsageHorizon([biller({})], 'call', t('2027-02-28T23:59:59.999Z'))).toBe(true);
    expect(beyondLateUsageHorizon([biller({})], 'call', t('2027-03-01T00:00:00Z'))).toBe(false);
  });

  it('is false when any subscription that could bill it still can', () => {
    expect(
      beyondLateUsageHorizon(
        [biller({}), biller({ subscriptionId: 's2', horizonFrom: t('2027-01-15T00:00:00Z') })],
        'call',
        t('2027-02-01T00:00:00Z'),
      ),
    ).toBe(false);
  });

  it('ignores subscriptions of other event types, and those whose life does not hold the event', () => {
    const others = [
      biller({ eventTypes: ['token'] }),
      biller({ start: t('2027-02-15T00:00:00Z') }),
      biller({ end: t('2027-01-20T00:00:00Z') }),
    ];
    expect(beyondLateUsageHorizon(others, 'call', t('2027-02-01T00:00:00Z'))).toBe(false);
    expect(beyondLateUsageHorizon([...others, biller({ subscriptionId: 'old' })], 'call', t('2027-02-01T00:00:00Z'))).toBe(true);
    expect(beyondLateUsageHorizon([], 'call', t('2027-02-01T00:00:00Z'))).toBe(false);
  });
});

describe('canceledBillersOf', () => {
  it('names canceled subscriptions that can still bill the event, and no running or out-of-horizon one', () => {
    const billers = [
      biller({ subscriptionId: 'running' }),
      biller({ subscriptionId: 'ended', canceled: true, end: t('2027-03-10T00:00:00Z') }),
      biller({ subscriptionId: 'gone', canceled: true, end: t('2027-03-10T00:00:00Z'), horizonFrom: t('2027-03-10T00:00:00Z') }),
    ];
    expect(canceledBillersOf(billers, 'call', t('2027-03-05T00:00:00Z'))).toEqual(['ended']);
    expect(canceledBillersOf(billers, 'call', t('2027-03-10T00:00:00Z'))).toEqual([]);
  });
});
