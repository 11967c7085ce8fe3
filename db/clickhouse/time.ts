/**
 * The text ClickHouse's basic DateTime64 parser reads, in UTC: `YYYY-MM-DD hh:mm:ss.sss` for
 * DateTime64(3) (`event_time`) and `YYYY-MM-DD hh:mm:ss.ssssss` for DateTime64(6)
 * (`ingested_at`). Both sit on ingest's per-event path, so they avoid Date objects for all
 * but the day, which they remember (the events of one batch very often share it).
 */
const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let dayOf = Number.NaN;
let dayText = '';

/** Milliseconds since the epoch as DateTime64(3) text. */
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

/**
 * Whole microseconds since the epoch (a safe integer, so up to the year 2255) as DateTime64(6)
 * text: the acceptance order that decides which delivery of an event is first.
 */
export function clickhouseMicroTime(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${clickhouseTime(ms)}${THREE[us - ms * 1000]}`;
}
