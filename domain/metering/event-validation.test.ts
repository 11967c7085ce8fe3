import { describe, expect, it } from 'vitest';
import { validateEvent } from './event-validation.ts';
import { parseRfc3339 } from './event-time.ts';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const ok = { id: 'e1', type: 'api_call', time: '2026-01-15T11:00:00Z', data: { tokens: 5 } };

describe('validateEvent', () => {
  it('normalises a plain event with defaults', () => {
    const { event, errors } = validateEvent({ id: 'e1', type: 'api_call' }, 0, { nowMs: NOW, shape: 'plain' });
    expect(errors).toEqual([]);
    expect(event).toEqual({ id: 'e1', type: 'api_call', timeMs: NOW, subject: undefined, source: 'api', data: {} });
  });

  it('keeps CloudEvents attributes and ignores extensions', () => {
    const { event, errors } = validateEvent(
      { ...ok, specversion: '1.0', source: '/svc', subject: 'acme', datacontenttype: 'application/json', myext: 'x' },
      0,
      { nowMs: NOW, shape: 'cloudevent' },
    );
    expect(errors).toEqual([]);
    expect(event).toMatchObject({ source: '/svc', subject: 'acme', timeMs: Date.UTC(2026, 0, 15, 11) });
  });

  it.each([
    ['not an object', 'x', 'events[3]', 'must be a JSON object'],
    ['missing id', { type: 't' }, 'events[3].id', 'is required'],
    ['numeric id', { id: 5, type: 't' }, 'events[3].id', 'must be a string'],
    ['id too long', { id: 'x'.repeat(257), type: 't' }, 'events[3].id', 'must be at most 256 characters'],
    ['empty type', { id: 'a', type: '' }, 'events[3].type', 'must not be empty'],
    [
      'bad time',
      { id: 'a', type: 't', time: '2026-01-15' },
      'events[3].time',
      'must be an RFC 3339 timestamp such as 2026-01-31T23:59:59Z',
    ],
    [
      'time 6 minutes ahead',
      { id: 'a', type: 't', time: '2026-01-15T12:06:00Z' },
      'events[3].time',
      'must not be more than 5 minutes in the future',
    ],
    ['time before 1970', { id: 'a', type: 't', time: '1969-12-31T23:59:59Z' }, 'events[3].time', 'must not be before 1970-01-01T00:00:00Z'],
    ['data not an object', { id: 'a', type: 't', data: [1] }, 'events[3].data', 'must be a JSON object'],
    ['wrong specversion', { id: 'a', type: 't', specversion: '0.3' }, 'events[3].specversion', 'must be "1.0"'],
    ['binary data', { id: 'a', type: 't', data_base64: 'AA==' }, 'events[3].data_base64', 'is not supported; send data as a JSON object'],
    [
      'xml data',
      { id: 'a', type: 't', datacontenttype: 'text/xml' },
      'events[3].datacontenttype',
      'must be a JSON media type (application/json); data is a JSON object',
    ],
  ])('%s', (_name, raw, field, message) => {
    const { event, errors } = validateEvent(raw, 3, { nowMs: NOW, shape: 'plain' });
    expect(event).toBeUndefined();
    expect(errors).toEqual([{ index: 3, field, message }]);
  });

  it('accepts a time exactly 5 minutes ahead', () => {
    expect(validateEvent({ id: 'a', type: 't', time: '2026-01-15T12:05:00Z' }, 0, { nowMs: NOW, shape: 'plain' }).errors).toEqual([]);
  });

  it('requires specversion for CloudEvents content types only', () => {
    expect(validateEvent({ id: 'a', type: 't' }, 0, { nowMs: NOW, shape: 'cloudevent' }).errors).toEqual([
      { index: 0, field: 'events[0].specversion', message: 'is required for CloudEvents (use "1.0")' },
    ]);
  });

  it('reports every problem of an event at once', () => {
    expect(validateEvent({ time: 'x' }, 0, { nowMs: NOW, shape: 'plain' }).errors.map((e) => e.field)).toEqual([
      'events[0].id',
      'events[0].type',
      'events[0].time',
    ]);
  });
});

describe('parseRfc3339', () => {
  it.each([
    ['2026-01-31T23:59:59Z', Date.UTC(2026, 0, 31, 23, 59, 59)],
    ['2026-01-31t23:59:59.123456789z', Date.UTC(2026, 0, 31, 23, 59, 59, 123)],
    ['2026-02-01T01:30:00+02:00', Date.UTC(2026, 0, 31, 23, 30)],
    ['2026-01-31T20:00:00.5-03:30', Date.UTC(2026, 0, 31, 23, 30, 0, 500)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
  ])('%s', (text, ms) => {
    expect(parseRfc3339(text)).toBe(ms);
  });

  it.each([
    '2026-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T23:59:60Z',
    '2026-01-01T00:00:00',
    '2026-01-01T00:00:00+1:00',
    ' 2026-01-01T00:00:00Z',
  ])('refuses %s', (text) => expect(parseRfc3339(text)).toBeNull());
});
