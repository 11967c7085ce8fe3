import { sql, type FragmentSqlToken, type ListSqlToken } from 'slonik';

// Fragments the repositories share. A Date goes to PostgreSQL as ISO text with an explicit
// cast, so the parameter's type never depends on how the driver serialises a Date.

export const ts = (d: Date) => sql.fragment`${d.toISOString()}::timestamptz`;
export const tsOrNull = (d: Date | null | undefined) => (d ? ts(d) : sql.fragment`NULL`);

/** A WHERE condition from a list filter's parts: the given ones joined by AND, `true` when none is given. */
export function allOf(conditions: readonly (FragmentSqlToken | null)[]): FragmentSqlToken | ListSqlToken {
  const given = conditions.filter((c) => c !== null);
  return given.length ? sql.join(given, sql.fragment` AND `) : sql.fragment`true`;
}
