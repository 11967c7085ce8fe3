import { sql, type SqlToken } from 'slonik';
import { describe, expect, it } from 'vitest';
import { allOf, ts, tsOrNull } from './sql.ts';

// The text and parameters a condition sends inside a query, with slonik's placeholders as it numbers them.
const wrapped = (condition: SqlToken) => {
  const f = sql.fragment`SELECT 1 WHERE ${condition}`;
  return { sql: f.sql, values: f.values };
};

describe('ts', () => {
  it('sends the instant as ISO text with an explicit cast', () => {
    expect(wrapped(ts(new Date(Date.UTC(2026, 0, 31, 23, 59, 59, 999))))).toEqual({
      sql: 'SELECT 1 WHERE $slonik_1::timestamptz',
      values: ['2026-01-31T23:59:59.999Z'],
    });
  });

  it('sends NULL, with no parameter, for a missing instant', () => {
    expect(wrapped(tsOrNull(null))).toEqual({ sql: 'SELECT 1 WHERE NULL', values: [] });
    expect(wrapped(tsOrNull(undefined))).toEqual({ sql: 'SELECT 1 WHERE NULL', values: [] });
    expect(wrapped(tsOrNull(new Date(0)))).toEqual({ sql: 'SELECT 1 WHERE $slonik_1::timestamptz', values: ['1970-01-01T00:00:00.000Z'] });
  });
});

describe('allOf', () => {
  it('is true when no part of the filter is given', () => {
    expect(wrapped(allOf([]))).toEqual({ sql: 'SELECT 1 WHERE true', values: [] });
    expect(wrapped(allOf([null, null]))).toEqual({ sql: 'SELECT 1 WHERE true', values: [] });
  });

  it('joins the given parts with AND, in order, and skips the others', () => {
    const tenant = 'a-tenant';
    expect(wrapped(allOf([sql.fragment`tenant_id = ${tenant}`, null, sql.fragment`status = ${'paid'}`]))).toEqual({
      sql: 'SELECT 1 WHERE tenant_id = $slonik_1 AND status = $slonik_2',
      values: ['a-tenant', 'paid'],
    });
  });

  it('keeps a value that looks like SQL a parameter', () => {
    expect(wrapped(allOf([sql.fragment`kind = ${"x' OR true --"}`]))).toEqual({
      sql: 'SELECT 1 WHERE kind = $slonik_1',
      values: ["x' OR true --"],
    });
  });
});
