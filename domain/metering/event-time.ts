/**
 * RFC 3339 timestamps, parsed strictly: `2026-01-31T23:59:59.123Z` or with an offset
 * (`+02:00`). Calendar fields are range-checked (no Feb 30, no leap second 60) and
 * fractions below the millisecond are truncated, because events are stored to the ms.
 *
 * Both functions sit on ingest's per-event path, so they avoid Date objects and remember
 * their last answer (the events of one batch very often share a time).
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

let lastText = '';
let lastMs: number | null = null;

export function parseRfc3339(text: string): number | null {
  if (text === lastText) return lastMs;
  const ms = parse(text);
  lastText = text;
  lastMs = ms;
  return ms;
}

function parse(text: string): number | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  if (day > (month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!)) return null;
  const ms = m[7] ? Number(m[7].slice(1, 4).padEnd(3, '0')) : 0;
  let offsetMinutes = 0;
  if (!m[8]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // Date.UTC maps years 0–99 to 1900–1999; those are refused by the caller's range anyway.
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
}

const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let dayOf = Number.NaN;
let dayText = '';

/** `YYYY-MM-DD hh:mm:ss.sss` in UTC: the text ClickHouse's basic DateTime64(3) parser reads. */
export function clickhouseTime(ms: number): string {
  const day = Math.floor(ms / 86_400_000);
  if (day !== dayOf) {
    dayOf = day;
    dayText = new Date(day * 86_400_000).toISOString().slice(0, 10);
  }
  let rest = ms - day * 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  return `${dayText} ${TWO[h]}:${TWO[m]}:${TWO[s]}.${THREE[rest - s * 1000]}`;
}
