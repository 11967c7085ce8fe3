import { describe, expect, it } from 'vitest';
import { aggregateUsage, firstDeliveries, type Delivery } from './aggregate.ts';
import { matchesFilters, meteredValueErrors } from './meter-matching.ts';
import { parseMeter, type Meter } from './meter-schema.ts';
import { parseJsonLossless } from './lossless-json.ts';

const JAN = { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 1, 1) };
let seq = 0n;
/** A delivery at `day` of January 2026; later calls are later deliveries. */
const d = (id: string, day: number, data: string, type = 'llm'): Delivery => ({
  id,
  type,
  timeMs: Date.UTC(2026, 0, day),
  ingestedAt: (seq += 1n),
  data: parseJsonLossless(data) as Record<string, unknown>,
});
const meter = (aggregation: string, extra: Record<string, unknown> = {}): Meter =>
  parseMeter({
    code: 'm',
    name: 'M',
    eventType: 'llm',
    aggregation,
    ...(aggregation === 'count' ? {} : { valueProperty: 'tokens' }),
    ...extra,
  });

const events = [
  d('a', 2, '{"tokens":10,"model":"gpt","region":"eu","user":"u1"}'),
  d('b', 3, '{"tokens":"0.000000000001","model":"gpt","region":"us","user":"u2"}'),
  d('c', 4, '{"tokens":5.5,"model":"claude","region":"eu","user":"u1"}'),
  d('a', 20, '{"tokens":1000,"model":"gpt","region":"eu","user":"u9"}'), // redelivery, later time: ignored
  d('d', 5, '{"model":"claude","region":"eu","user":"u3"}'), // no tokens
  d('e', 6, '{"tokens":99999999999999999999.5,"model":"claude","region":"apac","user":"u1"}', 'other'), // other type
  d('f', 31, '{"tokens":7,"model":"gpt","region":"eu","user":"u4"}'),
  d('g', 32, '{"tokens":8,"model":"gpt","region":"eu","user":"u5"}'), // Feb 1: outside the window
  d('b', 3, '{"tokens":"0.000000000001","model":"gpt","region":"us","user":"u2"}'), // plain redelivery
];

describe('aggregateUsage', () => {
  it.each([
    ['count', {}, '5', 5],
    ['sum', {}, '22.500000000001', 5],
    ['max', {}, '10', 5],
    ['unique_count', {}, '4', 5],
    ['latest', {}, '7', 5],
    ['count', { filters: { region: ['eu'] } }, '4', 4],
    ['sum', { filters: { region: ['eu'] } }, '22.5', 4],
    ['max', { filters: { region: ['us'] } }, '0.000000000001', 1],
    ['unique_count', { filters: { model: ['claude'] } }, '1', 2],
    ['latest', { filters: { model: ['claude'] } }, '5.5', 2],
    ['sum', { filters: { region: ['mars'] } }, '0', 0],
  ])('%s %j', (aggregation, extra, value, count) => {
    expect(aggregateUsage(meter(aggregation, extra), events, JAN)).toEqual({ value, events: count });
  });

  it.each([
    [
      'count',
      [
        { key: { model: 'claude' }, value: '2', events: 2 },
        { key: { model: 'gpt' }, value: '3', events: 3 },
      ],
    ],
    [
      'sum',
      [
        { key: { model: 'claude' }, value: '5.5', events: 2 },
        { key: { model: 'gpt' }, value: '17.000000000001', events: 3 },
      ],
    ],
    [
      'max',
      [
        { key: { model: 'claude' }, value: '5.5', events: 2 },
        { key: { model: 'gpt' }, value: '10', events: 3 },
      ],
    ],
    [
      'unique_count',
      [
        { key: { model: 'claude' }, value: '1', events: 2 },
        { key: { model: 'gpt' }, value: '3', events: 3 },
      ],
    ],
    [
      'latest',
      [
        { key: { model: 'claude' }, value: '5.5', events: 2 },
        { key: { model: 'gpt' }, value: '7', events: 3 },
      ],
    ],
  ])('%s grouped by model', (aggregation, groups) => {
    expect(aggregateUsage(meter(aggregation, { groupBy: ['model'] }), events, JAN, ['model']).groups).toEqual(groups);
  });

  it('groups by several properties, a missing one as null', () => {
    const result = aggregateUsage(meter('count'), [d('x', 2, '{"a":"1"}'), d('y', 2, '{"a":"1","b":true}'), d('z', 2, '{}')], JAN, [
      'a',
      'b',
    ]);
    expect(result.groups).toEqual([
      { key: { a: '1', b: 'true' }, value: '1', events: 1 },
      { key: { a: '1', b: null }, value: '1', events: 1 },
      { key: { a: null, b: null }, value: '1', events: 1 },
    ]);
  });

  it('counts an event posted three times once, the first delivery winning', () => {
    const triple = [d('t', 2, '{"tokens":1}'), d('t', 2, '{"tokens":2}'), d('t', 9, '{"tokens":3}')];
    expect(aggregateUsage(meter('sum'), triple, JAN)).toEqual({ value: '1', events: 1 });
    expect(firstDeliveries(triple)).toEqual([triple[0]]);
  });

  it('a redelivery that moves into the window does not count when the first delivery was outside', () => {
    const moved = [d('m', 35, '{"tokens":1}'), d('m', 10, '{"tokens":1}')];
    expect(aggregateUsage(meter('count'), moved, JAN)).toEqual({ value: '0', events: 0 });
  });

  it('latest breaks a tie in time by the greater id', () => {
    expect(aggregateUsage(meter('latest'), [d('b1', 7, '{"tokens":2}'), d('a1', 7, '{"tokens":1}')], JAN).value).toBe('2');
  });

  it.each([
    ['sum', false, '12', '0'],
    ['sum', true, '-1', '-13'],
    ['max', false, '10', '0'],
    ['max', true, '10', '-13'],
    ['latest', false, '10', '0'],
    ['latest', true, '-13', '-13'],
  ])('%s with allowNegative %s skips or counts negative values', (aggregation, allowNegative, value, onlyNegative) => {
    const m = meter(aggregation, { allowNegative });
    const mixed = [d('n1', 2, '{"tokens":10}'), d('n2', 3, '{"tokens":"-13"}'), d('n3', 1, '{"tokens":2}')];
    expect(aggregateUsage(m, mixed, JAN)).toEqual({ value, events: 3 });
    expect(aggregateUsage(m, [mixed[1]!], JAN)).toEqual({ value: onlyNegative, events: 1 });
  });

  it('takes zero written with a minus sign as zero, not as a negative value', () => {
    expect(aggregateUsage(meter('latest'), [d('z1', 2, '{"tokens":5}'), d('z2', 3, '{"tokens":"-0.0"}')], JAN).value).toBe('0');
  });

  it('sums values beyond a double exactly', () => {
    const big = [d('p', 2, '{"tokens":12345678901234567890.123456789012}'), d('q', 2, '{"tokens":"0.000000000001"}')];
    expect(aggregateUsage(meter('sum'), big, JAN).value).toBe('12345678901234567890.123456789013');
  });
});

describe('meteredValueErrors', () => {
  const meters = [meter('sum', { filters: { region: ['eu'] } }), meter('unique_count', { code: 'users', valueProperty: 'user' })];
  const event = (data: string) => ({
    id: 'x',
    type: 'llm',
    timeMs: 0,
    subject: undefined,
    source: 'api',
    data: parseJsonLossless(data) as Record<string, unknown>,
  });

  it.each([
    ['all present', '{"tokens":1,"region":"eu","user":"u"}', []],
    ['filtered out: value not needed', '{"region":"us","user":"u"}', []],
    ['missing value', '{"region":"eu","user":"u"}', ['events[2].data.tokens: is required by meter m (sum)']],
    [
      'float artefact',
      '{"tokens":0.30000000000000004,"region":"eu","user":"u"}',
      ['events[2].data.tokens: must have at most 12 digits after the decimal point (meter m, sum)'],
    ],
    [
      'object as unique value',
      '{"region":"us","user":{"id":1}}',
      ['events[2].data.user: must be a string, number or boolean (meter users, unique_count)'],
    ],
  ])('%s', (_name, data, expected) => {
    expect(meteredValueErrors(event(data), 2, meters).map((e) => `${e.field}: ${e.message}`)).toEqual(expected);
  });

  it('refuses a negative value unless every meter that counts it allows negatives', () => {
    const refunds = meter('sum', { code: 'net', valueProperty: 'tokens', allowNegative: true });
    const gross = meter('sum', { code: 'gross', valueProperty: 'tokens', filters: { region: ['eu'] } });
    const negative = event('{"tokens":-5,"region":"eu","user":"u"}');
    expect(meteredValueErrors(negative, 1, [refunds]).map((e) => `${e.field}: ${e.message}`)).toEqual([]);
    // gross reads the same property and does not allow negatives: the event is refused once, naming gross.
    expect(meteredValueErrors(negative, 1, [refunds, gross]).map((e) => `${e.field}: ${e.message}`)).toEqual([
      'events[1].data.tokens: must not be negative (meter gross, sum)',
    ]);
    expect(meteredValueErrors(negative, 1, [gross, refunds]).map((e) => `${e.field}: ${e.message}`)).toEqual([
      'events[1].data.tokens: must not be negative (meter gross, sum)',
    ]);
    // gross's filter leaves out events outside the EU: then only refunds counts it, and it is accepted.
    expect(meteredValueErrors(event('{"tokens":-5,"region":"us","user":"u"}'), 1, [refunds, gross])).toEqual([]);
  });

  it('ignores meters of other event types', () => {
    expect(meteredValueErrors({ ...event('{}'), type: 'other' }, 0, meters)).toEqual([]);
  });

  it('filters compare the text of numbers and booleans', () => {
    expect(matchesFilters({ filters: { n: ['1'], b: ['true'] } }, { n: 1, b: true })).toBe(true);
    expect(matchesFilters({ filters: { n: ['1'] } }, { n: '01' })).toBe(false);
  });
});
