// Calendar arithmetic in an IANA time zone, from Intl alone. A "local" value is the zone's wall
// clock written as if it were a UTC instant (Date.UTC(year, month, day, h, m, s, ms)), so the UTC
// calendar functions can do the month and day arithmetic on it; instantOfLocal turns it back.
import { MS_PER_DAY, daysInUtcMonth } from './calendar.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall clock of `instant` in `zone`, as a local value (see above). */
export function localOf(instant: number, zone: string): number {
  const parts: Record<string, string> = {};
  for (const p of formatterOf(zone).formatToParts(instant)) parts[p.type] = p.value;
  const yearOfEra = Number(parts.year);
  const year = parts.era === 'BC' || parts.era === 'B' ? 1 - yearOfEra : yearOfEra;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  date.setUTCFullYear(year, Number(parts.month) - 1, Number(parts.day));
  date.setUTCHours(Number(parts.hour), Number(parts.minute), Number(parts.second));
  // Offsets are whole seconds, so the milliseconds are the instant's own.
  return date.getTime() + (((instant % 1000) + 1000) % 1000);
}

/** The zone's offset from UTC at `instant`, in ms (New York in winter: −18 000 000). */
export const offsetAt = (instant: number, zone: string): number => localOf(instant, zone) - instant;

/**
 * The instant the wall clock of `zone` shows `local`, disambiguated as Temporal's 'compatible'
 * does: a time shown twice (the hour repeated when clocks go back) is its earlier instant; a time
 * never shown (the hour skipped when clocks go forward) is read with the offset from before the
 * skip, so it lands as far after the skip as it lay in it (02:30 in New York's skipped hour is
 * 03:30 EDT, and a skipped midnight is the first instant of that day). Offsets a day either side
 * bound the candidates: no zone changes its offset twice within two days.
 */
export function instantOfLocal(local: number, zone: string): number {
  const before = offsetAt(local - MS_PER_DAY, zone);
  const after = offsetAt(local + MS_PER_DAY, zone);
  const shown = [local - before, local - after].filter((t) => localOf(t, zone) === local);
  return shown.length > 0 ? Math.min(...shown) : local - before;
}

/**
 * The wall clock a boundary keeps: the anchor's local value, except that the first instant of a
 * day whose midnight was skipped (clocks jumped from 23:59:59 to 01:00) counts as that day's
 * midnight. Otherwise a subscription started on such a day would keep 01:00 for every later
 * period, where each should begin at its own local midnight.
 */
function wallClockOf(anchor: number, zone: string): number {
  const local = localOf(anchor, zone);
  const midnight = local - (((local % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY);
  return midnight !== local && instantOfLocal(midnight, zone) === anchor ? midnight : local;
}

/** The local value moved by whole months, keeping its day (clamped to the month's end) and time of day. */
export function addLocalMonthsClamped(local: number, months: number): number {
  const date = new Date(local);
  const totalMonths = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
  const year = Math.floor(totalMonths / 12);
  const monthIndex = totalMonths - year * 12;
  date.setUTCFullYear(year, monthIndex, Math.min(date.getUTCDate(), daysInUtcMonth(year, monthIndex)));
  return date.getTime();
}

/** `anchor` moved by whole months of `zone`'s calendar: its local day (clamped) and local time of day are kept. */
export function addZonedMonthsClamped(anchor: Date, months: number, zone: string): Date {
  if (months === 0) return new Date(anchor.getTime());
  return new Date(instantOfLocal(addLocalMonthsClamped(wallClockOf(anchor.getTime(), zone), months), zone));
}

/** `anchor` moved by whole local days: the same wall-clock time, whatever the days' lengths (23 or 25 hours across DST). */
export function addZonedDays(anchor: Date, days: number, zone: string): Date {
  if (days === 0) return new Date(anchor.getTime());
  return new Date(instantOfLocal(wallClockOf(anchor.getTime(), zone) + days * MS_PER_DAY, zone));
}

/**
 * The first instant of a calendar day in `zone` ('YYYY-MM-DD'): its local midnight, or, where the
 * zone skipped midnight that day (São Paulo's DST began at 00:00 until 2019), the instant the
 * clocks jumped to.
 */
export function startOfLocalDay(date: string, zone: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw new RangeError('date must be YYYY-MM-DD');
  const local = new Date(0);
  local.setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return new Date(instantOfLocal(local.getTime(), zone));
}

/** The calendar day of `instant` in `zone`, as 'YYYY-MM-DD'. */
export const localDate = (instant: Date, zone: string): string => new Date(localOf(instant.getTime(), zone)).toISOString().slice(0, 10);
