/** One meter's usage for one tenant in [from, to), deduplicated exactly as billing requires. */
export type UsageQuery = { tenantId: string; meter: string; from: Date; to: Date };

/** The quantity as an exact decimal string, and the number of deduplicated events behind it. */
export type MeasuredUsage = { quantity: string; eventCount: string };

/**
 * Where invoicing reads usage from. The worker passes the metering reader over ClickHouse
 * (db/clickhouse/usage-reader.ts); the interface keeps invoicing independent of how a meter
 * aggregates (count, sum, max, unique count, latest).
 */
export interface UsageSource {
  read(query: UsageQuery): Promise<MeasuredUsage>;
}
