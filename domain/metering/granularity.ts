/** Time-series buckets: fixed lengths in UTC (no DST), counted from the series' `from`. */
export const GRANULARITIES = ['minute', 'hour', 'day'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

const MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
export const granularityMs = (g: Granularity): number => MS[g];
