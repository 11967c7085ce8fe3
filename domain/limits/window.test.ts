import { describe, expect, it } from 'vitest';
import { limitWindowAt } from './window.ts';
import { limitedValueOf } from './event-value.ts';
import { POSITIVE_DECIMAL, LIMIT_DECIMAL, mayDelete } from './limit-rules.ts';
import type { Meter } from '../metering/index.ts';

const at = new Date('2026-02-28T23:59:59.999Z');

describe('limitWindowAt', () => {
  it('day and month are UTC, half-open', () => {
    expect(limitWindowAt('day', at, null)).toEqual({ start: new Date('2026-02-28T00:00:00Z'), end: new Date('2026-03-01T00:00:00Z') });
    expect(limitWindowAt('month', at, null)).toEqual({ start: new Date('2026-02-01T00:00:00Z'), end: new Date('2026-03-01T00:00:00Z') });
    expect(limitWindowAt('month', new Date('2026-12-31T12:00:00Z'), null).end).toEqual(new Date('2027-01-01T00:00:00Z'));
  });
  it('billing_period is the current period, else the UTC month', () => {
    const period = { start: new Date('2026-02-15T10:00:00Z'), end: new Date('2026-03-15T10:00:00Z') };
    expect(limitWindowAt('billing_period', at, period)).toEqual(period);
    expect(limitWindowAt('billing_period', new Date('2026-03-15T10:00:00Z'), period).start).toEqual(new Date('2026-03-01T00:00:00Z'));
    expect(limitWindowAt('billing_period', at, null).start).toEqual(new Date('2026-02-01T00:00:00Z'));
  });
});

describe('limitedValueOf', () => {
  const sum: Meter = {
    code: 'tokens',
    name: 't',
    eventType: 'llm',
    aggregation: 'sum',
    valueProperty: 'n',
    filters: { model: ['a'] },
    groupBy: [],
  };
  it('counts what reads count, exactly', () => {
    expect(limitedValueOf(sum, 'llm', { n: '0.000000000001', model: 'a' })?.toFixed()).toBe('0.000000000001');
    expect(limitedValueOf(sum, 'llm', { n: 12345678901234.5, model: 'a' })?.toFixed()).toBe('12345678901234.5');
    expect(limitedValueOf(sum, 'llm', { n: 5, model: 'b' })).toBeNull();
    expect(limitedValueOf(sum, 'other', { n: 5, model: 'a' })).toBeNull();
    expect(limitedValueOf(sum, 'llm', { n: '-5', model: 'a' })).toBeNull();
    expect(limitedValueOf({ ...sum, allowNegative: true }, 'llm', { n: '-5', model: 'a' })?.toFixed()).toBe('-5');
    expect(limitedValueOf({ ...sum, aggregation: 'count' }, 'llm', { model: 'a' })?.toFixed()).toBe('1');
    expect(limitedValueOf({ ...sum, aggregation: 'max' }, 'llm', { n: 5, model: 'a' })).toBeNull();
  });
});

describe('limit rules', () => {
  it('patterns and ownership', () => {
    expect(LIMIT_DECIMAL.test('0')).toBe(true);
    expect(LIMIT_DECIMAL.test(`${'9'.repeat(26)}.${'9'.repeat(12)}`)).toBe(true);
    expect(LIMIT_DECIMAL.test('9'.repeat(27))).toBe(false);
    expect(POSITIVE_DECIMAL.test('0.000')).toBe(false);
    expect(POSITIVE_DECIMAL.test('0.001')).toBe(true);
    expect(POSITIVE_DECIMAL.test('-1')).toBe(false);
    expect(mayDelete('admin', 'customer')).toBe(false);
    expect(mayDelete('customer', 'customer')).toBe(true);
    expect(mayDelete('admin', 'admin')).toBe(true);
  });
});
