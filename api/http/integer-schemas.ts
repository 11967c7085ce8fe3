import { z } from 'zod';

/**
 * The largest PostgreSQL `integer` (int4). Versions, positions and counters are int4 columns: a
 * larger value in a query is a database error (22003), so inputs compared with those columns
 * stop here instead, and the OpenAPI document states the same maximum.
 */
export const PG_INTEGER_MAX = 2_147_483_647;

const wholeNumber = { error: 'must be a whole number' };
const bounded = (n: z.ZodNumber, min: number, max: number) =>
  n.int(wholeNumber).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

/** A whole number in [min, max] sent as a JSON number. */
export const integer = (min: number, max: number) => bounded(z.number(wholeNumber), min, max);

/**
 * A whole number in [min, max] read from text (a query string or a path segment). Only digits
 * count: '', ' 5', '1e1' and '0x10', which Number() would read, are refused.
 */
export const integerText = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === 'string' && !/^-?\d+$/.test(v) ? Number.NaN : v), bounded(z.coerce.number(wholeNumber), min, max));

/** A whole number in [1, PG_INTEGER_MAX], sent as a JSON number. */
export const positiveInteger = () => integer(1, PG_INTEGER_MAX);

/** The same, read from text. */
export const positiveIntegerText = () => integerText(1, PG_INTEGER_MAX);
