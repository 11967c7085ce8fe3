import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseMeter } from './meter-schema.ts';

const base = { code: 'llm_tokens', name: 'LLM tokens', eventType: 'llm.completion' };

function issues(input: unknown) {
  try {
    parseMeter(input);
    return [];
  } catch (err) {
    return (err as z.ZodError).issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  }
}

describe('meter definitions', () => {
  it('normalises optional lists and turns filter values into text', () => {
    expect(parseMeter({ ...base, aggregation: 'sum', valueProperty: 'usage.tokens', filters: { tier: [1, 'pro', true] } })).toEqual({
      ...base,
      aggregation: 'sum',
      valueProperty: 'usage.tokens',
      filters: { tier: ['1', 'pro', 'true'] },
      groupBy: [],
      allowNegative: false,
    });
    expect(parseMeter({ ...base, aggregation: 'count' })).toEqual({
      ...base,
      aggregation: 'count',
      filters: {},
      groupBy: [],
      allowNegative: false,
    });
  });

  it.each(['sum', 'max', 'latest'])('lets a %s meter allow negative values', (aggregation) => {
    expect(parseMeter({ ...base, aggregation, valueProperty: 'delta', allowNegative: true }).allowNegative).toBe(true);
  });

  it.each([
    ['sum without valueProperty', { ...base, aggregation: 'sum' }, 'valueProperty: is required for the sum aggregation'],
    ['max without valueProperty', { ...base, aggregation: 'max' }, 'valueProperty: is required for the max aggregation'],
    ['latest without valueProperty', { ...base, aggregation: 'latest' }, 'valueProperty: is required for the latest aggregation'],
    [
      'unique_count without valueProperty',
      { ...base, aggregation: 'unique_count' },
      'valueProperty: is required for the unique_count aggregation',
    ],
    [
      'count with valueProperty',
      { ...base, aggregation: 'count', valueProperty: 'x' },
      'valueProperty: must be absent for count, which counts events',
    ],
    ['unknown aggregation', { ...base, aggregation: 'avg' }, 'aggregation: must be one of count, sum, max, unique_count, latest'],
    [
      'bad code',
      { ...base, code: 'LLM-Tokens', aggregation: 'count' },
      'code: must start with a lower-case letter and contain only a-z, 0-9 and _ (at most 63 characters)',
    ],
    [
      'path with brackets',
      { ...base, aggregation: 'sum', valueProperty: "a['b']" },
      'valueProperty: must be a dotted path of names made of letters, digits, _ $ @ : - (e.g. usage.input_tokens)',
    ],
    [
      'empty path segment',
      { ...base, aggregation: 'sum', valueProperty: 'a..b' },
      'valueProperty: must be a dotted path of names made of letters, digits, _ $ @ : - (e.g. usage.input_tokens)',
    ],
    [
      'empty filter list',
      { ...base, aggregation: 'count', filters: { region: [] } },
      'filters.region: must list at least one allowed value',
    ],
    [
      'float filter value',
      { ...base, aggregation: 'count', filters: { region: [0.1] } },
      'filters.region.0: must be a string, a safe integer or a boolean',
    ],
    ['repeated groupBy', { ...base, aggregation: 'count', groupBy: ['model', 'model'] }, 'groupBy: must not repeat a property'],
    [
      'allowNegative on count',
      { ...base, aggregation: 'count', allowNegative: true },
      'allowNegative: is only for sum, max, latest, which read numbers',
    ],
    [
      'allowNegative on unique_count',
      { ...base, aggregation: 'unique_count', valueProperty: 'user', allowNegative: true },
      'allowNegative: is only for sum, max, latest, which read numbers',
    ],
    [
      'allowNegative as a string',
      { ...base, aggregation: 'sum', valueProperty: 'delta', allowNegative: 'yes' },
      'allowNegative: must be true or false',
    ],
    ['unknown field', { ...base, aggregation: 'count', window: 'hour' }, ': Unrecognized key: "window"'],
  ])('refuses %s', (_name, input, message) => {
    expect(issues(input)).toContain(message);
  });
});
