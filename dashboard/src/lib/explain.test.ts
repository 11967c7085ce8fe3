import { describe, expect, it } from 'vitest';
import { REASON_TEXT, verdicts, type Explanation } from './explain.ts';

type Event = Explanation['events'][number];
const base: Event = {
  source: 'api',
  id: 'e1',
  reason: null,
  winner: { time: '2027-01-10T12:00:00.000Z', source: 'api', acceptedAt: '2027-01-10T12:00:01.000123Z', type: 'call' },
  deliveries: [],
  meters: [],
};
const meter = (m: Partial<Event['meters'][number]>): Event['meters'][number] => ({
  meter: 'calls',
  aggregation: 'count',
  counts: true,
  value: '1',
  status: 'billed',
  reason: null,
  detail: '',
  subscriptions: [],
  ...m,
});

describe('verdicts', () => {
  it('names the invoice line of a billed event', () => {
    const billed = meter({
      subscriptions: [
        {
          subscriptionId: '00000000-0000-4000-8000-000000000001',
          status: 'billed',
          reason: null,
          detail: null,
          period: { start: '2027-01-01T00:00:00.000Z', end: '2027-02-01T00:00:00.000Z' },
          invoice: { id: '00000000-0000-4000-8000-000000000002', number: 'INV-2027-000001', status: 'paid', reason: 'period_end' },
          line: {
            id: '00000000-0000-4000-8000-000000000003',
            position: 2,
            type: 'usage',
            from: '2027-01-01T00:00:00.000Z',
            to: '2027-02-01T00:00:00.000Z',
            ratedAt: '2027-02-01T00:10:00.000Z',
          },
        },
      ],
    });
    expect(verdicts({ ...base, meters: [billed] })).toEqual([
      { meter: 'calls', tone: 'ok', text: 'counts 1 and was billed on line 2 of INV-2027-000001' },
    ]);
  });

  it("gives each reason in words with the API's detail, and no_meter for the event itself", () => {
    const out = verdicts({
      ...base,
      meters: [meter({ status: 'not_billed', counts: false, value: null, reason: 'filtered_out', detail: 'model is "claude"' })],
    });
    expect(out).toEqual([{ meter: 'calls', tone: 'bad', text: `not billed: ${REASON_TEXT.filtered_out} (model is "claude")` }]);
    expect(verdicts({ ...base, reason: 'no_meter' })).toEqual([
      { meter: null, tone: 'bad', text: `not billed: ${REASON_TEXT.no_meter} (call)` },
    ]);
    expect(verdicts({ ...base, meters: [meter({ status: 'pending', value: '12.5' })] })[0]).toMatchObject({
      tone: 'warn',
      text: 'counts 12.5; its period is not invoiced yet',
    });
  });

  it('has words for every reason code', () => {
    expect(Object.keys(REASON_TEXT).sort()).toEqual([
      'after_final_invoice',
      'duplicate_of',
      'filtered_out',
      'late_beyond_horizon',
      'no_meter',
      'outside_any_subscription',
      'value_not_numeric',
    ]);
  });
});
