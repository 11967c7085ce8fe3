/** Time windows for usage queries, aligned to their bucket size so every bucket is whole (UTC). */
export type Granularity = 'minute' | 'hour' | 'day';

const STEP: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** How many buckets each granularity shows: 2 hours of minutes, 2 days of hours, 30 days. */
const SPAN: Record<Granularity, number> = { minute: 120, hour: 48, day: 30 };

export function isGranularity(value: string | null): value is Granularity {
  return value === 'minute' || value === 'hour' || value === 'day';
}

/** The last SPAN buckets, the current (partial) one included: [from, to). */
export function recentWindow(granularity: Granularity, now = Date.now()): { from: string; to: string } {
  const step = STEP[granularity];
  const end = Math.floor(now / step) * step + step;
  return { from: new Date(end - SPAN[granularity] * step).toISOString(), to: new Date(end).toISOString() };
}

/** The calendar month (UTC) containing `now`: [first day, first day of next month). */
export function monthWindow(now = new Date()): { from: string; to: string } {
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { from: from.toISOString(), to: to.toISOString() };
}

/** Short labels for chart axes. */
export function bucketLabel(iso: string, granularity: Granularity): string {
  const d = new Date(iso);
  if (granularity === 'day') return d.toLocaleDateString('en-GB', { month: 'short', day: 'numeric', timeZone: 'UTC' });
  return d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
}
