import { describe, expect, it } from 'vitest';
import { parseMeter, type Meter } from '../metering/index.ts';
import { explainEvent, type ExplainLine, type ExplainSubscription, type StoredDelivery } from './explain-event.ts';

const t = (iso: string) => new Date(iso).getTime();
const us = (iso: string) => BigInt(t(iso)) * 1000n;

const meters: Meter[] = [
  parseMeter({ code: 'calls', name: 'Calls', eventType: 'call', aggregation: 'count' }),
  parseMeter({
    code: 'tokens',
    name: 'Tokens',
    eventType: 'llm',
    aggregation: 'sum',
    valueProperty: 'usage.tokens',
    filters: { model: ['gpt', '7'] },
  }),
  parseMeter({ code: 'refunds', name: 'Refunds', eventType: 'refund', aggregation: 'sum', valueProperty: 'amount', allowNegative: true }),
  parseMeter({ code: 'peak', name: 'Peak', eventType: 'refund', aggregation: 'max', valueProperty: 'amount' }),
  parseMeter({ code: 'users', name: 'Users', eventType: 'login', aggregation: 'unique_count', valueProperty: 'user' }),
];

const event = (o: Partial<StoredDelivery> = {}): StoredDelivery => ({
  source: 'api',
  id: 'e1',
  type: 'call',
  timeMs: t('2027-01-10T12:00:00Z'),
  subject: 'acme',
  acceptedAtUs: us('2027-01-10T12:00:01Z'),
  data: {},
  ...o,
});
const sub = (o: Partial<ExplainSubscription> = {}): ExplainSubscription => ({
  id: 's1',
  status: 'active',
  startMs: t('2027-01-01T00:00:00Z'),
  trialEndMs: null,
  canceledAtMs: null,
  meters: ['calls', 'tokens', 'refunds', 'peak', 'users'],
  horizonFromMs: t('2027-01-01T00:00:00Z'),
  currentPeriod: { startMs: t('2027-02-01T00:00:00Z'), endMs: t('2027-03-01T00:00:00Z') },
  ...o,
});
// January's invoice, rated on Feb 1 at 00:10.
const line = (o: Partial<ExplainLine> = {}): ExplainLine => ({
  subscriptionId: 's1',
  invoiceId: 'i1',
  invoiceNumber: 'INV-2027-000001',
  invoiceStatus: 'finalized',
  invoiceReason: 'period_end',
  ratedAtMs: t('2027-02-01T00:10:00Z'),
  periodStartMs: t('2027-01-01T00:00:00Z'),
  periodEndMs: t('2027-02-01T00:00:00Z'),
  lineId: 'l1',
  position: 1,
  type: 'usage',
  meter: 'calls',
  fromMs: t('2027-01-01T00:00:00Z'),
  toMs: t('2027-02-01T00:00:00Z'),
  ...o,
});

const explain = (e: StoredDelivery, o: { subs?: ExplainSubscription[]; lines?: ExplainLine[]; redeliveries?: StoredDelivery[] } = {}) =>
  explainEvent({ event: e, redeliveries: o.redeliveries ?? [], meters, subscriptions: o.subs ?? [sub()], lines: o.lines ?? [line()] });
const first = (e: StoredDelivery, o: Parameters<typeof explain>[1] = {}) => {
  const m = explain(e, o).meters[0]!;
  return { status: m.status, reason: m.reason, value: m.value };
};

describe('explainEvent: what each meter does with the event', () => {
  it.each([
    ['a counted, billed call', event(), { status: 'billed', reason: null, value: '1' }],
    [
      'a filtered-out model',
      event({ type: 'llm', data: { model: 'claude', usage: { tokens: 5 } } }),
      { status: 'not_billed', reason: 'filtered_out', value: null },
    ],
    [
      'a model missing entirely',
      event({ type: 'llm', data: { usage: { tokens: 5 } } }),
      { status: 'not_billed', reason: 'filtered_out', value: null },
    ],
    [
      'a filter on a number compares its JSON text',
      event({ type: 'llm', data: { model: 7, usage: { tokens: '12.500' } } }),
      { status: 'billed', reason: null, value: '12.5' },
    ],
    [
      'a value that is text',
      event({ type: 'llm', data: { model: 'gpt', usage: { tokens: 'lots' } } }),
      { status: 'not_billed', reason: 'value_not_numeric', value: null },
    ],
    ['a value missing', event({ type: 'llm', data: { model: 'gpt' } }), { status: 'not_billed', reason: 'value_not_numeric', value: null }],
    [
      '13 fractional digits',
      event({ type: 'llm', data: { model: 'gpt', usage: { tokens: '1.0000000000001' } } }),
      { status: 'not_billed', reason: 'value_not_numeric', value: null },
    ],
    [
      'the largest stored value reads count',
      event({ type: 'llm', data: { model: 'gpt', usage: { tokens: `${'9'.repeat(26)}.${'9'.repeat(12)}` } } }),
      { status: 'billed', reason: null, value: `${'9'.repeat(26)}.${'9'.repeat(12)}` },
    ],
    [
      '27 integer digits',
      event({ type: 'llm', data: { model: 'gpt', usage: { tokens: '1'.repeat(27) } } }),
      { status: 'not_billed', reason: 'value_not_numeric', value: null },
    ],
    [
      'a negative value where negatives are allowed',
      event({ type: 'refund', data: { amount: '-3.50' } }),
      { status: 'billed', reason: null, value: '-3.5' },
    ],
    ['a unique count counts its text', event({ type: 'login', data: { user: 'u-7' } }), { status: 'billed', reason: null, value: 'u-7' }],
    [
      'a unique count without the property',
      event({ type: 'login', data: {} }),
      { status: 'not_billed', reason: 'value_not_numeric', value: null },
    ],
  ])('%s', (_name, e, expected) => {
    const lines = [
      line(),
      line({ lineId: 'l2', position: 2, meter: 'tokens' }),
      line({ lineId: 'l3', position: 3, meter: 'refunds' }),
      line({ lineId: 'l5', position: 5, meter: 'users' }),
    ];
    expect(first(e, { lines })).toEqual(expected);
  });

  it('says which meter refuses a negative value and which counts it', () => {
    const r = explain(event({ type: 'refund', data: { amount: -2 } }), {
      lines: [line({ meter: 'refunds' }), line({ meter: 'peak', lineId: 'l4' })],
    });
    expect(r.meters.map((m) => [m.meter, m.reason, m.value])).toEqual([
      ['refunds', null, '-2'],
      ['peak', 'value_not_numeric', null],
    ]);
    expect(r.meters[1]!.detail).toMatch(/negative.*does not allow negatives/);
  });

  it('is no_meter, with no meter outcome, when no meter reads the type', () => {
    const r = explain(event({ type: 'page_view' }));
    expect([r.reason, r.meters]).toEqual(['no_meter', []]);
  });
});

describe('explainEvent: which invoice billed it', () => {
  it('names the period and the line rated after the event arrived', () => {
    const m = explain(event()).meters[0]!;
    expect(m.subscriptions).toEqual([
      {
        subscriptionId: 's1',
        status: 'billed',
        period: { startMs: t('2027-01-01T00:00:00Z'), endMs: t('2027-02-01T00:00:00Z') },
        line: line(),
      },
    ]);
  });

  it('is outside_any_subscription before the subscription started, in its trial, after its cancellation, or when none charges the meter', () => {
    for (const s of [
      sub({ startMs: t('2027-01-11T00:00:00Z') }),
      sub({ trialEndMs: t('2027-01-15T00:00:00Z') }),
      sub({ canceledAtMs: t('2027-01-10T12:00:00Z') }),
      sub({ meters: ['tokens'] }),
    ]) {
      expect(first(event(), { subs: [s] })).toEqual({ status: 'not_billed', reason: 'outside_any_subscription', value: '1' });
    }
    expect(first(event(), { subs: [] }).reason).toBe('outside_any_subscription');
    // The cancellation instant itself is outside; one millisecond before is inside.
    expect(first(event(), { subs: [sub({ canceledAtMs: t('2027-01-10T12:00:00.001Z') })] }).status).toBe('billed');
  });

  it('is pending while no invoice holds its time, with the current period when it holds it', () => {
    const e = event({ timeMs: t('2027-02-03T00:00:00Z'), acceptedAtUs: us('2027-02-03T00:00:01Z') });
    const m = explain(e).meters[0]!;
    expect([m.status, m.reason]).toEqual(['pending', null]);
    expect(m.subscriptions[0]).toMatchObject({
      status: 'pending',
      period: { startMs: t('2027-02-01T00:00:00Z'), endMs: t('2027-03-01T00:00:00Z') },
    });
  });

  it('is after_final_invoice when the window was rated before it arrived and nothing billed it since', () => {
    const late = event({ acceptedAtUs: us('2027-02-01T00:10:00.001Z') });
    expect(first(late)).toEqual({ status: 'not_billed', reason: 'after_final_invoice', value: '1' });
    // Arriving exactly when the line was rated counts as read by it (stored before the read).
    expect(first(event({ acceptedAtUs: us('2027-02-01T00:10:00Z') })).status).toBe('billed');
    // A later late-usage adjustment over the window billed it.
    const adjustment = line({
      lineId: 'l9',
      invoiceId: 'i2',
      invoiceReason: 'period_end',
      type: 'adjustment',
      ratedAtMs: t('2027-03-01T00:10:00Z'),
      periodStartMs: t('2027-02-01T00:00:00Z'),
      periodEndMs: t('2027-03-01T00:00:00Z'),
    });
    const m = explain(late, { lines: [adjustment, line()] }).meters[0]!;
    expect(m.status).toBe('billed');
    expect(m.subscriptions[0]).toMatchObject({
      status: 'billed',
      line: { lineId: 'l9', type: 'adjustment' },
      period: { startMs: t('2027-02-01T00:00:00Z') },
    });
  });

  it('is late_beyond_horizon when the horizon has passed its window, for every subscription that could bill it', () => {
    const late = event({ acceptedAtUs: us('2027-04-01T00:00:00Z') });
    const gone = sub({ horizonFromMs: t('2027-03-01T00:00:00Z') });
    expect(first(late, { subs: [gone] })).toEqual({ status: 'not_billed', reason: 'late_beyond_horizon', value: '1' });
    // A second subscription still within its horizon makes it after_final_invoice (it can still bill it).
    const open = sub({ id: 's2' });
    expect(first(late, { subs: [gone, open], lines: [line(), line({ subscriptionId: 's2', lineId: 'l2' })] }).reason).toBe(
      'after_final_invoice',
    );
    // Billed on one subscription is billed, whatever the other says.
    expect(
      first(late, {
        subs: [gone, open],
        lines: [line(), line({ subscriptionId: 's2', lineId: 'l2', ratedAtMs: t('2027-04-02T00:00:00Z') })],
      }).status,
    ).toBe('billed');
  });
});

describe('explainEvent: deliveries', () => {
  it('marks the stored first delivery as the winner and every later one duplicate_of it, whatever time it carries', () => {
    const redelivered = event({ timeMs: t('2027-02-20T00:00:00Z'), acceptedAtUs: us('2027-03-01T00:00:00Z'), data: { other: true } });
    const again = event({ acceptedAtUs: us('2027-01-11T00:00:00Z') });
    const r = explain(event(), { redeliveries: [redelivered, again] });
    expect(r.deliveries.map((d) => [d.acceptedAtUs, d.won, d.reason])).toEqual([
      [us('2027-01-10T12:00:01Z'), true, null],
      [us('2027-01-11T00:00:00Z'), false, 'duplicate_of'],
      [us('2027-03-01T00:00:00Z'), false, 'duplicate_of'],
    ]);
    expect(r.deliveries[2]!.duplicateOf).toEqual({ source: 'api', id: 'e1', acceptedAtUs: us('2027-01-10T12:00:01Z') });
    // The winner's time decides the period: the redelivery's February time moves nothing.
    expect(r.meters[0]!.subscriptions[0]).toMatchObject({ status: 'billed', period: { startMs: t('2027-01-01T00:00:00Z') } });
    expect(r.winner.timeMs).toBe(t('2027-01-10T12:00:00Z'));
  });
});
