import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, jsonShapeError } from './json-shape.ts';

const nested = (depth: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

describe('jsonShapeError', () => {
  it('accepts ordinary bodies, and nesting up to the limit', () => {
    expect(jsonShapeError({ name: 'Acme', tags: ['a', 'b'], n: 1, none: null })).toBeNull();
    expect(jsonShapeError(nested(MAX_JSON_DEPTH))).toBeNull();
  });

  it('names the container that nests one level too deep', () => {
    const error = jsonShapeError(nested(MAX_JSON_DEPTH + 1));
    expect(error?.message).toBe(`nests deeper than ${MAX_JSON_DEPTH} levels`);
    expect(error?.field.split('.')).toHaveLength(MAX_JSON_DEPTH);
  });

  it('walks 200,000 levels without overflowing the stack', () => {
    expect(jsonShapeError(nested(200_000))?.message).toMatch(/deeper/);
  });

  it('names a string value or a key with U+0000, with the given prefix', () => {
    expect(jsonShapeError({ tenant: { name: 'Ac\u0000me' } })).toEqual({
      field: 'tenant.name',
      message: 'must not contain the NUL character (U+0000)',
    });
    expect(jsonShapeError({ items: [{ ['k\u0000']: 1 }] })).toEqual({
      field: 'items.0.k\u0000',
      message: 'a key must not contain the NUL character (U+0000)',
    });
    expect(jsonShapeError({ meter: 'a\u0000' }, ['query'])).toEqual({
      field: 'query.meter',
      message: 'must not contain the NUL character (U+0000)',
    });
    expect(jsonShapeError('\u0000')?.field).toBe('body');
  });

  it('lets other control characters and lone surrogates through (every store keeps them)', () => {
    expect(jsonShapeError({ s: '\u0001\t\n\ud800' })).toBeNull();
  });
});
