import { z } from 'zod';

/**
 * The largest PostgreSQL `integer` (int4). Versions, positions and counters are int4 columns: a
 * larger value in a query is a database error (22003), so inputs compared with those columns
 * stop here instead, and the OpenAPI document states the same maximum.
 */
export const PG_INTEGER_MAX = 2_147_483_647;

const messages = { error: 'must be a whole number' };

/** A whole number in [1, PG_INTEGER_MAX], sent as a JSON number. */
export const positiveInteger = () =>
  z.number(messages).int(messages).min(1, 'must be at least 1').max(PG_INTEGER_MAX, `must be at most ${PG_INTEGER_MAX}`);

/** The same, read from a query string or path segment. */
export const positiveIntegerText = () =>
  z.coerce.number(messages).int(messages).min(1, 'must be at least 1').max(PG_INTEGER_MAX, `must be at most ${PG_INTEGER_MAX}`);
