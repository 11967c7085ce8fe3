/**
 * RFC 3339 timestamps, parsed strictly: `2026-01-31T23:59:59.123Z` or with an offset
 * (`+02:00`). Calendar fields are range-checked (no Feb 30, no leap second 60) and
 * fractions below the millisecond are truncated, because events are stored to the ms.
 *
 * It sits on ingest's per-event path, so it avoids Date objects and remembers its last
 * answer (the events of one batch very often share a time). The text ClickHouse stores is
 * written by db/clickhouse/time.ts.
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
