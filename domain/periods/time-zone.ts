// Time zones by their IANA names, as the runtime's ICU knows them (Node 24 carries the full tz
// database). No tables of our own: Intl decides which names exist and what their offsets are.

/** The zone a schedule without one is in, and every subscription from before time zones. */
export const UTC = 'UTC';

let known: Map<string, string> | undefined;

/**
 * The zone's name, spelt as the tz database spells it ('america/new_york' → 'America/New_York'),
 * or null when it is not an IANA zone. An alias ICU knows but does not list (US/Eastern) is kept
 * as given. Not ICU's resolved name: ICU resolves Asia/Kathmandu to its old Asia/Katmandu. A fixed
 * offset such as '+05:00' is refused although Intl takes it: it is not a zone, and has no
 * daylight-saving rules to follow.
 */
export function canonicalTimeZone(name: string): string | null {
  if (!/^[A-Za-z]/.test(name)) return null;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
  } catch {
    return null;
  }
  known ??= new Map([UTC, ...Intl.supportedValuesOf('timeZone')].map((zone) => [zone.toLowerCase(), zone]));
  return known.get(name.toLowerCase()) ?? name;
}

/** True for the plain UTC schedule: no zone, or UTC itself (whose arithmetic stays the UTC one). */
export const isUtc = (zone: string | undefined): boolean => zone === undefined || zone === UTC;
